import type { VeniceError } from './errors.js';
import type { DeprecationNotice } from './types.js';

const seconds = (ms: number | undefined) => (ms === undefined ? undefined : Math.max(1, Math.ceil(ms / 1000)));

/**
 * What a Venice failure means for the person who asked, and what they can do about it.
 * Venice's own text is quoted only for 400s, where it names the field at fault.
 */
export function describeVeniceError(err: VeniceError): string {
  switch (err.kind) {
    case 'bad_request':
      return `Venice refused the request${err.veniceMessage ? `: ${err.veniceMessage.replace(/[.\s]+$/, '')}` : ''}. Change the options and try again.`;
    case 'unauthorized':
      return /pro/i.test(err.veniceMessage ?? '')
        ? 'This model is only available to Venice Pro accounts. Pick another model.'
        : "Venice did not accept the bot's API key. Ask the bot's operator to check `VENICE_API_KEY`.";
    case 'payment_required':
      return "The bot's Venice account is out of credit or over its spending limit. Ask the bot's operator to top it up, then try again.";
    case 'forbidden':
      return "This model is not available to the bot's Venice account or region. Pick another model.";
    case 'not_found':
      return 'Venice does not know this model any more. The model list is being refreshed: pick another model.';
    case 'too_large':
      return 'The request was too large for Venice. Shorten the prompt and try again.';
    case 'unsupported_media':
      return "Venice did not accept the request's format. This is a bug in the bot: please report it to its maintainers.";
    case 'rate_limited': {
      const wait = seconds(err.retryAfterMs);
      return `Venice is rate-limiting the bot right now. Try again ${wait ? `in ${wait} s` : 'in a minute'}.`;
    }
    case 'unavailable':
      return 'The model is at capacity on Venice. Try again in a minute, or pick another model.';
    case 'server_error':
      return 'Venice failed while generating the image. Try again in a moment.';
    case 'timeout':
      return 'Venice took too long to answer. Try again, perhaps with fewer variants or a faster model.';
    case 'network':
      return 'The bot could not reach Venice. Try again in a minute.';
    case 'connection_lost':
      return 'The connection to Venice dropped after the request was sent, so the bot did not retry it (it may already have been charged). Try again.';
    case 'malformed':
      return 'Venice sent an answer the bot could not read. Try again.';
  }
}

/** One line telling the user a model is going away and what replaces it. */
export function describeDeprecation(modelName: string, notice: DeprecationNotice): string {
  const when = notice.date ? ` on ${notice.date.slice(0, 10)}` : ' soon';
  const instead = notice.replacement ? `; use \`${notice.replacement}\` instead` : '';
  return `⚠️ ${modelName} is deprecated and will be removed${when}${instead}.`;
}
