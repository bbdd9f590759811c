import type { MessageKey, Translator } from '../i18n/index.js';
import type { VeniceError } from './errors.js';
import type { DeprecationNotice } from './types.js';

const seconds = (ms: number | undefined) => (ms === undefined ? undefined : Math.max(1, Math.ceil(ms / 1000)));

const PLAIN: Record<Exclude<VeniceError['kind'], 'bad_request' | 'unauthorized' | 'rate_limited'>, MessageKey> = {
  payment_required: 'venice.error.paymentRequired',
  forbidden: 'venice.error.forbidden',
  not_found: 'venice.error.notFound',
  too_large: 'venice.error.tooLarge',
  unsupported_media: 'venice.error.unsupportedMedia',
  unavailable: 'venice.error.unavailable',
  server_error: 'venice.error.serverError',
  timeout: 'venice.error.timeout',
  network: 'venice.error.network',
  connection_lost: 'venice.error.connectionLost',
  malformed: 'venice.error.malformed',
};

/**
 * What a Venice failure means for the person who asked, and what they can do about it, in
 * `t`'s language. Venice's own text is quoted only for 400s, where it names the field at
 * fault, after our sentence and as Venice wrote it.
 */
export function describeVeniceError(t: Translator, err: VeniceError): string {
  switch (err.kind) {
    case 'bad_request': {
      const ours = t.t('venice.error.badRequest');
      const said = err.veniceMessage?.trim();
      return said ? t.t('venice.error.quoted', { description: ours, veniceSaid: t.t('common.veniceSaid', { text: said }) }) : ours;
    }
    case 'unauthorized':
      return t.t(/pro/i.test(err.veniceMessage ?? '') ? 'venice.error.proOnly' : 'venice.error.unauthorized');
    case 'rate_limited': {
      const wait = seconds(err.retryAfterMs);
      return wait ? t.t('venice.error.rateLimited', { seconds: t.number(wait) }) : t.t('venice.error.rateLimitedNoWait');
    }
    default:
      return t.t(PLAIN[err.kind]);
  }
}

/** One line telling the user a model is going away and what replaces it, in `t`'s language. */
export function describeDeprecation(t: Translator, modelName: string, notice: DeprecationNotice): string {
  const day = notice.date?.slice(0, 10);
  // Venice's date is written for the reader's language; one that is not a calendar day is shown as Venice sent it.
  const date = day === undefined || day === '' ? undefined : /^\d{4}-\d{2}-\d{2}$/.test(day) && !Number.isNaN(Date.parse(day)) ? t.day(day) : day;
  const replacement = notice.replacement;
  if (date !== undefined) {
    return replacement ? t.t('venice.deprecation.onDateWithReplacement', { model: modelName, date, replacement }) : t.t('venice.deprecation.onDate', { model: modelName, date });
  }
  return replacement ? t.t('venice.deprecation.soonWithReplacement', { model: modelName, replacement }) : t.t('venice.deprecation.soon', { model: modelName });
}
