import { describe, expect, it } from 'vitest';
import { matchSpecPath, validateComponent, validateRequestBody } from './discord/spec.js';

/**
 * The fake Discord's body checks are only as strict as this validator: a route that maps to no
 * template, or a template without a request schema, validates everything. These tests pin
 * that every route the bot writes to is judged, and that nothing is coerced on the way.
 */

const APP = '1312682993994825729';
const GUILD = '1180411423050825730';
const CHANNEL = '1180411431439433735';
const MESSAGE = '1577226137891897367';
const TOKEN = 'aW50ZXJhY3Rpb246MTU3NzIyNjEzNzg2NjczMTU0Mjpk';

/** Every route the bot (or discord.js on its behalf) sends a body to, with its spec template. */
const BOT_ROUTES: Array<[method: string, path: string, template: string]> = [
  ['POST', `/interactions/${MESSAGE}/${TOKEN}/callback`, '/interactions/{interaction_id}/{interaction_token}/callback'],
  ['PATCH', `/webhooks/${APP}/${TOKEN}/messages/@original`, '/webhooks/{webhook_id}/{webhook_token}/messages/@original'],
  ['PATCH', `/webhooks/${APP}/${TOKEN}/messages/${MESSAGE}`, '/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}'],
  ['POST', `/webhooks/${APP}/${TOKEN}`, '/webhooks/{webhook_id}/{webhook_token}'],
  ['POST', `/channels/${CHANNEL}/messages`, '/channels/{channel_id}/messages'],
  ['PATCH', `/channels/${CHANNEL}/messages/${MESSAGE}`, '/channels/{channel_id}/messages/{message_id}'],
  ['POST', `/channels/${CHANNEL}/threads`, '/channels/{channel_id}/threads'],
  ['PUT', `/applications/${APP}/commands`, '/applications/{application_id}/commands'],
  ['PUT', `/applications/${APP}/guilds/${GUILD}/commands`, '/applications/{application_id}/guilds/{guild_id}/commands'],
  ['POST', `/applications/${APP}/guilds/${GUILD}/commands`, '/applications/{application_id}/guilds/{guild_id}/commands'],
  ['POST', '/users/@me/channels', '/users/@me/channels'],
];

const MESSAGE_ROUTES = BOT_ROUTES.filter(([, path]) => /messages|webhooks\/\d+\/[^/]+$/.test(path));

/** Message bodies as the callback route wants them: wrapped in `{ type: 4, data }`. */
function asRouteBody(path: string, message: Record<string, unknown>): unknown {
  return path.endsWith('/callback') ? { type: 4, data: message } : message;
}

describe('Discord spec validation used by the fake', () => {
  it.each(BOT_ROUTES)('judges %s %s against its own request schema', (method, path, template) => {
    expect(matchSpecPath(path)).toBe(template);
    // A string is no request body of any of these routes: refused only if a schema is attached.
    expect(validateRequestBody(method, path, 'not a body').ok).toBe(false);
  });

  it.each(MESSAGE_ROUTES)('refuses numeric snowflakes in a %s %s body, which must be strings', (method, path) => {
    const numericAttachment = validateRequestBody(method, path, asRouteBody(path, { content: 'x', attachments: [{ id: 0, filename: 'image-1.webp' }] }));
    expect(numericAttachment.ok).toBe(false);
    expect(numericAttachment.message).toMatch(/attachments\.0\.id: must be string/);
    const numericUser = validateRequestBody(method, path, asRouteBody(path, { content: 'x', allowed_mentions: { parse: [], users: [Number(CHANNEL.slice(0, 15))] } }));
    expect(numericUser.ok).toBe(false);
    const asStrings = validateRequestBody(method, path, asRouteBody(path, { content: 'x', attachments: [{ id: '0', filename: 'image-1.webp' }], allowed_mentions: { parse: [], users: [CHANNEL] } }));
    expect(asStrings).toEqual({ ok: true });
  });

  it('refuses a numeric message_reference on a channel message, the shape of the bot\'s fallback reply', () => {
    const path = `/channels/${CHANNEL}/messages`;
    expect(validateRequestBody('POST', path, { content: 'x', message_reference: { message_id: Number(MESSAGE.slice(0, 15)), fail_if_not_exists: false } }).ok).toBe(false);
    expect(validateRequestBody('POST', path, { content: 'x', message_reference: { message_id: MESSAGE, fail_if_not_exists: false } }).ok).toBe(true);
  });

  it('lets the thread route\'s union admit a forum post without a valid message, which is why the fake judges posts whole', () => {
    const path = `/channels/${CHANNEL}/threads`;
    // The text-channel branch takes any extra field, `message` included.
    expect(validateRequestBody('POST', path, { name: 'post', message: { content: 7 } }).ok).toBe(true);
    expect(validateComponent('CreateForumThreadRequest', { name: 'post', message: { content: 7 } }).ok).toBe(false);
    expect(validateComponent('CreateForumThreadRequest', { name: 'post' }).message).toMatch(/message/);
    expect(validateComponent('CreateForumThreadRequest', { name: 'post', applied_tags: [MESSAGE], message: { content: 'x', attachments: [{ id: '0' }] } })).toEqual({ ok: true });
  });

  it('coerces nothing: numbers, booleans and arrays must arrive as themselves', () => {
    const callback = `/interactions/${MESSAGE}/${TOKEN}/callback`;
    const channel = `/channels/${CHANNEL}/messages`;
    expect(validateRequestBody('POST', callback, { type: '5' }).ok).toBe(false);
    expect(validateRequestBody('POST', callback, { type: 5 }).ok).toBe(true);
    expect(validateRequestBody('POST', channel, { content: 'x', flags: '4' }).ok).toBe(false);
    expect(validateRequestBody('POST', channel, { content: 'x', tts: 'false' }).ok).toBe(false);
    expect(validateRequestBody('POST', channel, { content: 7 }).ok).toBe(false);
    expect(validateRequestBody('POST', channel, { content: 'x', embeds: { description: 'one' } }).ok).toBe(false);
    // The spec's caps: 4,000 characters for channel messages, 2,000 for webhook and interaction messages.
    expect(validateRequestBody('POST', channel, { content: 'x'.repeat(4001) }).ok).toBe(false);
    expect(validateRequestBody('POST', callback, { type: 4, data: { content: 'x'.repeat(2001) } }).ok).toBe(false);
  });

  it('widens only 64-bit integers to decimal strings, as Discord documents them', () => {
    const commands = `/applications/${APP}/guilds/${GUILD}/commands`;
    const command = (extra: Record<string, unknown>) => [{ type: 1, name: 'imagine', description: 'd', ...extra }];
    expect(validateRequestBody('PUT', commands, command({ default_member_permissions: '32' })).ok).toBe(true);
    expect(validateRequestBody('PUT', commands, command({ default_member_permissions: '0x20' })).ok).toBe(false);
    expect(validateRequestBody('PUT', commands, command({ default_member_permissions: '-1' })).ok).toBe(false);
    expect(validateRequestBody('PUT', commands, command({ options: [{ type: '3', name: 'prompt', description: 'p' }] })).ok).toBe(false);
  });

  it('answers with Discord\'s 50035 errors tree, keyed by the path of the bad value', () => {
    const result = validateRequestBody('POST', `/channels/${CHANNEL}/messages`, { content: 'x', attachments: [{ id: 0, filename: 'image-1.webp' }] });
    expect(result.errors).toEqual({ attachments: { '0': { id: { _errors: [{ code: 'BASE_TYPE_BAD_TYPE', message: 'must be string' }] } } } });
  });
});
