import { describe, expect, it } from 'vitest';
import { VeniceError, type VeniceErrorKind } from '../../../src/venice/errors.js';
import { describeDeprecation, describeVeniceError } from '../../../src/venice/user-messages.js';

const failure = (kind: VeniceErrorKind, init: ConstructorParameters<typeof VeniceError>[2] = {}) => new VeniceError(kind, `internal ${kind}`, init);

describe('what the user reads when Venice fails', () => {
  // Each message names what happened and then what to do about it.
  const cases: Array<[VeniceErrorKind, RegExp, RegExp]> = [
    ['bad_request', /Venice refused the request/, /Change the options and try again/],
    ['unauthorized', /did not accept the bot's API key/, /Ask the bot's operator to check `VENICE_API_KEY`/],
    ['payment_required', /out of credit or over its spending limit/, /Ask the bot's operator to top it up/],
    ['forbidden', /not available to the bot's Venice account or region/, /Pick another model/],
    ['not_found', /Venice does not know this model any more/, /pick another model/],
    ['too_large', /too large for Venice/, /Shorten the prompt/],
    ['unsupported_media', /did not accept the request's format/, /report it to its maintainers/],
    ['rate_limited', /rate-limiting the bot/, /Try again in a minute/],
    ['unavailable', /at capacity/, /Try again in a minute, or pick another model/],
    ['server_error', /failed while generating the image/, /Try again in a moment/],
    ['timeout', /took too long to answer/, /Try again/],
    ['network', /could not reach Venice/, /Try again in a minute/],
    ['connection_lost', /dropped after the request was sent, so the bot did not retry it \(it may already have been charged\)/, /Try again\./],
    ['malformed', /an answer the bot could not read/, /Try again/],
  ];

  it.each(cases)('explains %s and what to do', (kind, what, todo) => {
    const text = describeVeniceError(failure(kind));
    expect(text).toMatch(what);
    expect(text).toMatch(todo);
    expect(text).not.toContain(`internal ${kind}`);
  });

  it("quotes Venice's reason for a refused request", () => {
    const text = describeVeniceError(failure('bad_request', { status: 400, veniceMessage: 'width must be divisible by 16' }));
    expect(text).toBe('Venice refused the request: width must be divisible by 16. Change the options and try again.');
  });

  it('does not double the full stop after a reason that ends in one', () => {
    const text = describeVeniceError(failure('bad_request', { status: 400, veniceMessage: 'Model not found.' }));
    expect(text).toBe('Venice refused the request: Model not found. Change the options and try again.');
  });

  it('tells the user a model is for Pro accounts only', () => {
    expect(describeVeniceError(failure('unauthorized', { veniceMessage: 'This model is only available to Pro users' }))).toBe(
      'This model is only available to Venice Pro accounts. Pick another model.',
    );
  });

  it('says how many seconds to wait when Venice said so', () => {
    expect(describeVeniceError(failure('rate_limited', { retryAfterMs: 12_300 }))).toBe('Venice is rate-limiting the bot right now. Try again in 13 s.');
    expect(describeVeniceError(failure('rate_limited', { retryAfterMs: 0 }))).toMatch(/in 1 s\.$/);
  });
});

describe('the deprecation line', () => {
  it('names the model, the date and the replacement', () => {
    expect(describeDeprecation('HiDream', { date: '2026-09-30T00:00:00.000Z', replacement: 'z-image-turbo' })).toBe(
      '⚠️ HiDream is deprecated and will be removed on 2026-09-30; use `z-image-turbo` instead.',
    );
  });

  it('says "soon" without a date', () => {
    expect(describeDeprecation('HiDream', {})).toBe('⚠️ HiDream is deprecated and will be removed soon.');
  });
});
