import { describe, expect, it } from 'vitest';
import { en, translator } from '../../../src/i18n/index.js';
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
    const text = describeVeniceError(en, failure(kind));
    expect(text).toMatch(what);
    expect(text).toMatch(todo);
    expect(text).not.toContain(`internal ${kind}`);
  });

  it("quotes Venice's reason for a refused request after our sentence, as Venice wrote it", () => {
    const text = describeVeniceError(en, failure('bad_request', { status: 400, veniceMessage: 'width must be divisible by 16' }));
    expect(text).toBe('Venice refused the request. Change the options and try again. Venice said: “width must be divisible by 16”');
    expect(describeVeniceError(en, failure('bad_request', { status: 400, veniceMessage: 'Model not found.' }))).toBe(
      'Venice refused the request. Change the options and try again. Venice said: “Model not found.”',
    );
    expect(describeVeniceError(en, failure('bad_request', { status: 400 }))).toBe('Venice refused the request. Change the options and try again.');
  });

  it("explains in the reader's language and never translates Venice's own words", () => {
    const err = failure('bad_request', { status: 400, veniceMessage: 'width must be divisible by 16' });
    expect(describeVeniceError(translator('zh-CN'), err)).toBe('Venice 拒绝了这次请求。请修改选项后重试。Venice 的原话：“width must be divisible by 16”');
    expect(describeVeniceError(translator('es-ES'), err)).toBe('Venice rechazó la solicitud. Cambia las opciones y vuelve a intentarlo. Venice dijo: “width must be divisible by 16”');
    expect(describeVeniceError(translator('es-419'), failure('rate_limited', { retryAfterMs: 12_300 }))).toBe(
      'Venice está limitando las solicitudes del bot en este momento. Vuelve a intentarlo en 13 s.',
    );
    expect(describeVeniceError(translator('zh-CN'), failure('network'))).toBe('机器人无法连接到 Venice。请过一分钟再试。');
  });

  it('tells the user a model is for Pro accounts only', () => {
    expect(describeVeniceError(en, failure('unauthorized', { veniceMessage: 'This model is only available to Pro users' }))).toBe(
      'This model is only available to Venice Pro accounts. Pick another model.',
    );
  });

  it('says how many seconds to wait when Venice said so', () => {
    expect(describeVeniceError(en, failure('rate_limited', { retryAfterMs: 12_300 }))).toBe('Venice is rate-limiting the bot right now. Try again in 13 s.');
    expect(describeVeniceError(en, failure('rate_limited', { retryAfterMs: 0 }))).toMatch(/in 1 s\.$/);
  });
});

describe('the deprecation line', () => {
  it('names the model, the date and the replacement', () => {
    expect(describeDeprecation(en, 'HiDream', { date: '2026-09-30T00:00:00.000Z', replacement: 'z-image-turbo' })).toBe(
      '⚠️ HiDream is deprecated and will be removed on Sep 30, 2026; use `z-image-turbo` instead.',
    );
    expect(describeDeprecation(en, 'HiDream', { date: '2026-09-30' })).toBe('⚠️ HiDream is deprecated and will be removed on Sep 30, 2026.');
  });

  it('writes the date as the reader’s language does', () => {
    const notice = { date: '2026-09-30T00:00:00.000Z', replacement: 'z-image-turbo' };
    expect(describeDeprecation(translator('zh-CN'), 'HiDream', notice)).toBe('⚠️ HiDream 已弃用，将于 2026年9月30日 移除；请改用 `z-image-turbo`。');
    expect(describeDeprecation(translator('es-ES'), 'HiDream', { replacement: 'z-image-turbo' })).toBe('⚠️ HiDream está obsoleto y se retirará pronto; usa `z-image-turbo` en su lugar.');
    // A date Venice wrote in some other form is shown as it came.
    expect(describeDeprecation(en, 'HiDream', { date: 'next week' })).toBe('⚠️ HiDream is deprecated and will be removed on next week.');
  });

  it('says "soon" without a date', () => {
    expect(describeDeprecation(en, 'HiDream', {})).toBe('⚠️ HiDream is deprecated and will be removed soon.');
  });
});
