import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeGateway } from './gateway.js';
import type { GatewayStats } from './gateway.js';
import { parseBody, readBody, sendBytes, sendCdnError, sendJson, sendNoContent } from './http.js';
import type { ParsedBody, RecordedFile } from './http.js';
import { mediaInfo, probeMedia } from './media.js';
import { validateComponent, validateRequestBody, warmUpValidators } from './spec.js';
import type { SpecValidation } from './spec.js';
import {
  APPLICATION_FLAGS,
  BOT_PERMISSIONS,
  DEFAULT_ATTACHMENT_SIZE_LIMIT,
  BOT_DM_APP_PERMISSIONS,
  EXTERNAL_APP_PERMISSIONS,
  MEMBER_PERMISSIONS,
  P,
  applyOverwrites,
  channelKindOf,
  channelObject,
  createWorld,
  guildObject,
  hasOverwrites,
  interactionToken,
  member,
  snowflake,
} from './world.js';
import type { ChannelKind, ForeignRoleKey, ForumTagKey, Json, RoleKey, UserKey, World } from './world.js';

export type { RecordedFile } from './http.js';
export type { GatewayIdentify, GatewayStats } from './gateway.js';
export type { ChannelKind, ForeignRoleKey, ForumTagKey, RoleKey, UserKey } from './world.js';

export interface RecordedRequest {
  method: string;
  /** Decoded, after /api/v10, e.g. '/webhooks/APP/TOKEN/messages/@original'. */
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  /** The JSON body, or the parsed payload_json of a multipart body. */
  json: unknown;
  files: RecordedFile[];
  at: number;
  /** What the fake answered. */
  status: number;
  /**
   * Why the body failed validation against Discord's OpenAPI spec, if it did, whatever the fake
   * answered (a dead token or an injected fault may have answered before the body was read).
   */
  invalid?: string;
}

/**
 * Which installation of the app an interaction reaches it through, which decides
 * `authorizing_integration_owners`: 'guild' (the bot's server install: `{ "0": guildId }`, in the
 * bot's DM `{ "0": "0" }`), 'user' (the invoking user installed the app: `{ "1": userId }` only),
 * 'both' (a user who installed the app, in the bot's server or DM: both keys).
 */
export type InstallKind = 'guild' | 'user' | 'both';

/**
 * Where an interaction happens (`context` on Discord): 0 a server, 1 the bot's DM, 2 a private
 * channel (group DM or a DM between users), reachable only through a user install.
 */
export type InteractionContextKind = 0 | 1 | 2;

export interface InteractionContext {
  /**
   * A channel of the bot's server, or 'dm' (the user's DM with the bot, context 1). Default
   * 'text'; with `install: 'user'` in context 0, default the foreign server's channel (give a
   * channel of the bot's server for a user install used there). Not with context 2. Not
   * 'gallery': a forum holds posts, not messages; interactions happen in a post (`channelId`).
   */
  channel?: ChannelKind;
  /**
   * A channel of the bot's server by id, for one `channel` cannot name: a thread created at run
   * time (a forum post). Not with `channel`; context 0 only.
   */
  channelId?: string;
  /** Default 'alice'. */
  user?: UserKey;
  /**
   * The member's permissions bitfield in the channel; default @everyone's plus those of the
   * member's roles (admin's Admins role brings Administrator|ManageGuild).
   */
  permissions?: string;
  /**
   * The member's roles, each a key of `ids.roles` ('artists'), a role name ('Artists') or a role
   * id, of the server the interaction is in (`ids.foreignRoles` in the foreign one). Sent as ids in
   * `member.roles`, without @everyone, as Discord does. Default: the member's roles in the world
   * (admin holds Admins in the bot's server; nobody holds any in the foreign one). Servers only.
   */
  roles?: string[];
  /** Default 'guild'. */
  install?: InstallKind;
  /**
   * Default 1 for `channel: 'dm'`, else 0. With `install: 'user'`: 0 is a server the bot is not
   * in (`ids.foreignGuild`, channel `ids.foreignChannel`) unless `channel` names one of the bot's,
   * 1 the bot's DM, 2 a group DM (`ids.groupDm`) the bot is not part of.
   */
  context?: InteractionContextKind;
  locale?: string;
  /** Default 10 MiB. */
  attachmentSizeLimit?: number;
}

/**
 * The value of an ATTACHMENT option (type 11): a file the user picked and Discord uploaded
 * with the command. The fake lists it in `resolved.attachments` and serves its bytes on its
 * CDN. `size`, `contentType`, `width` and `height` replace what the fake works out from the
 * bytes in `resolved` only (the CDN still serves the real bytes with their real type), so a
 * test can give metadata that lies; `null` leaves the field out.
 */
export interface FileUpload {
  file: {
    name: string;
    data: Buffer;
    /** The type the user's client declared; the bytes win when they are a known image. */
    contentType?: string;
  };
  size?: number;
  contentType?: string | null;
  width?: number | null;
  height?: number | null;
  /** Alt text the user gave the file. */
  description?: string;
}

/**
 * An attachment whose urls point wherever the test says (off the fake's CDN): it goes into
 * `resolved.attachments` as given and the fake neither fetches nor serves it.
 */
export interface ExternalUpload {
  url: string;
  /** Default: `url`. */
  proxyUrl?: string;
  name: string;
  size: number;
  contentType?: string;
  width?: number;
  height?: number;
}

export type Upload = FileUpload | ExternalUpload;

/** What a test gives for one option: ATTACHMENT options take an `Upload`, the others a plain value. */
export type OptionValue = string | number | boolean | Upload;

/** An entry of `data.resolved.attachments` as the fake sent it (Discord's attachment object). */
export interface ResolvedAttachment {
  id: string;
  filename: string;
  size: number;
  url: string;
  proxy_url: string;
  content_type?: string;
  width?: number;
  height?: number;
  description?: string;
  ephemeral?: boolean;
  /** IS_SPOILER (8) for a `SPOILER_` name, IS_ANIMATED (32) for more than one frame. */
  flags?: number;
  content_scan_version?: number;
}

export interface InteractionHandle {
  readonly id: string;
  readonly token: string;
  /**
   * The attachment each ATTACHMENT option resolved to, by option name (a copy of what
   * `data.resolved.attachments` carried). Empty for autocomplete: Discord resolves nothing there.
   */
  readonly attachments: Readonly<Record<string, ResolvedAttachment>>;
  /** Every REST request for this interaction: callback, webhook edits, follow-ups, deletes. */
  requests(): RecordedRequest[];
  /** Waits (default 5 s) for POST /interactions/{id}/{token}/callback. */
  callback(timeoutMs?: number): Promise<RecordedRequest>;
  /** Waits for a PATCH .../messages/@original matching the predicate. */
  originalEdit(predicate?: (r: RecordedRequest) => boolean, timeoutMs?: number): Promise<RecordedRequest>;
  /** POST /webhooks/{app}/{token}. */
  followUps(): RecordedRequest[];
  /**
   * Waits (default 5 s) for the original response of this interaction as the fake stores it
   * (a copy, with every edit so far applied) and returns it. A deferred reply counts only once
   * it is no longer "thinking…" (its first edit); after deferUpdate/update (types 6/7) the
   * original response is the message the component sits on. With a predicate, waits for a
   * state of the message that matches. Rejects at once if the message was deleted.
   */
  message(predicate?: (message: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
}

/** A GET/HEAD on the fake's CDN (attachment `url` / `proxy_url`); not in `requests`. */
export interface CdnFetch {
  method: string;
  /**
   * Decoded, e.g. '/cdn/attachments/CHANNEL/ATTACHMENT/image.png', '/media/attachments/...', or
   * '/cdn/ephemeral-attachments/...' for a file uploaded with a command option.
   */
  path: string;
  query: Record<string, string>;
  /** The attachment id from the path, when the path has the attachment shape. */
  attachmentId: string | undefined;
  status: number;
  at: number;
}

export interface HeldRequest {
  /** Resolves once the request arrived and is waiting. */
  reached: Promise<void>;
  /** Lets it go on (it is then judged and answered as any other). */
  release(): void;
}

export interface FaultMatch {
  method?: string;
  /** Matched against the API path after /api/v10, or the CDN path ('/cdn/attachments/...', '/media/ephemeral-attachments/...'). */
  path: RegExp;
}

export interface Fault {
  status: number;
  code?: number;
  message?: string;
  /** Seconds, for 429s. */
  retryAfter?: number;
}

export interface FakeDiscordIds {
  application: string;
  botUser: string;
  guild: string;
  channels: Record<ChannelKind, string>;
  users: Record<UserKey, string>;
  /** Roles of the bot's server: `everyone` is the guild's id; `bot` is the bot's managed role. */
  roles: Record<RoleKey, string>;
  /** A server the bot is not in; only `install: 'user'` interactions come from it. */
  foreignGuild: string;
  /** Its text channel, where interactions happen; the bot's REST calls to it get 403 50001. */
  foreignChannel: string;
  /** Roles of the foreign server (same names, other ids). */
  foreignRoles: Record<ForeignRoleKey, string>;
  /** A group DM of alice, bob and admin the bot is not part of (context 2). */
  groupDm: string;
  /** Tag ids of the gallery forum (`ids.channels.gallery`); `featured` is a moderated tag. */
  forumTags: Record<ForumTagKey, string>;
}

/** A post of a forum channel: the thread and the message that opened it. */
export interface ForumPost {
  /** The thread as GET /channels/{id} returns it now (type 11, `parent_id` the forum, owner the bot). */
  thread: Record<string, unknown>;
  /** The first message (its id is the thread's, as on Discord) as stored now; undefined once deleted. */
  message: Record<string, unknown> | undefined;
}

/** A permission overwrite a test puts on a channel: bits as bigints or decimal strings. */
export interface OverwriteBits {
  allow?: bigint | string;
  deny?: bigint | string;
}

export interface FakeDiscord {
  /** 'http://127.0.0.1:PORT/api': what the bot passes to discord.js as rest.api. */
  readonly apiUrl: string;
  /** The bot token the fake accepts; deliberately not shaped like a real Discord token. */
  readonly token: string;
  readonly ids: FakeDiscordIds;
  /**
   * 'http://127.0.0.1:PORT/cdn': the `url` of a file the bot posted starts with
   * `${cdnUrl}/attachments/`, that of a file uploaded with a command option (as on Discord) with
   * `${cdnUrl}/ephemeral-attachments/`; `proxy_url`s start with 'http://127.0.0.1:PORT/media/'
   * and the same folder (same origin).
   */
  readonly cdnUrl: string;
  /** Every REST request. */
  readonly requests: RecordedRequest[];
  /** Gateway connections, IDENTIFY payloads and RESUMEs seen so far. */
  readonly gateway: GatewayStats;
  /** Requests whose body failed spec validation, however they were answered; none of them got a 2xx. */
  invalidRequests(): RecordedRequest[];
  /** Currently registered application commands, global or of one guild. */
  commands(scope?: { guildId?: string }): unknown[];
  /** The bot's server's language from now on (`guild_locale` of its interactions; default en-US). */
  setGuildLocale(locale: string): void;
  /** PUT/POST/PATCH/DELETE on .../commands routes. */
  commandWrites(): RecordedRequest[];
  /** Resolves once a client IDENTIFYed and got READY + GUILD_CREATE. */
  ready(timeoutMs?: number): Promise<void>;
  /**
   * A chat-input command as Discord delivers it, typed by the registered command's options.
   * An ATTACHMENT option takes an `Upload`: the fake assigns the attachment an id, stores a
   * file's bytes on its CDN under the interaction's channel (signed `ephemeral-attachments`
   * urls, every download in `cdnFetches()`), and sends the id as the option's value with the
   * attachment object in `data.resolved.attachments`.
   */
  slashCommand(
    name: string,
    options?: Record<string, OptionValue>,
    ctx?: InteractionContext & { subcommand?: string },
  ): Promise<InteractionHandle>;
  /**
   * An autocomplete interaction. ATTACHMENT options take an `Upload` as for `slashCommand` and
   * arrive as their attachment id only: autocomplete carries no `resolved` and nothing is uploaded.
   */
  autocomplete(
    name: string,
    options: Record<string, OptionValue>,
    focused: string,
    ctx?: InteractionContext & { subcommand?: string },
  ): Promise<InteractionHandle>;
  /**
   * A button press on a message. Given the `{ id }` of a stored message (one the bot posted),
   * the INTERACTION_CREATE carries the whole stored message, loopback attachment urls included;
   * the other fields given override it in the payload only. An unknown id gets a minimal
   * message by the bot. Without `ctx.channel` (or `ctx.channelId`) the press happens in the
   * stored message's channel, whatever channel that is: an interaction reply, a message the bot
   * posted with POST /channels/{id}/messages, the first message of a forum post (a thread).
   * Throws for a deleted message: nobody can press a component on it.
   */
  button(
    customId: string,
    message: { id: string; content?: string; components?: unknown[]; embeds?: unknown[]; attachments?: unknown[] },
    ctx?: InteractionContext,
  ): Promise<InteractionHandle>;
  /** A string select menu (component_type 3) choice on a message; the message as for `button`. */
  selectMenu(
    customId: string,
    values: string[],
    message: { id: string; content?: string; components?: unknown[]; embeds?: unknown[]; attachments?: unknown[] },
    ctx?: InteractionContext,
  ): Promise<InteractionHandle>;
  /** A modal submit; with `ctx.message`, from a modal shown by a component on that message (as for `button`). */
  modalSubmit(
    customId: string,
    fields: Record<string, string>,
    ctx?: InteractionContext & { message?: { id: string } },
  ): Promise<InteractionHandle>;
  /** POST /channels/{id}/messages to that channel (any DM channel for 'dm'), by kind or by id (a forum post). */
  channelMessages(channel: ChannelKind | (string & {})): RecordedRequest[];
  /**
   * The posts created in a forum (default the gallery) through POST /channels/{id}/threads, in
   * creation order, deleted threads left out; copies.
   */
  forumPosts(forum?: ChannelKind | (string & {})): ForumPost[];
  /** Ids of channels deleted through DELETE /channels/{id} (threads: forum posts), in order. */
  deletedChannels(): string[];
  /**
   * Sets (or with null removes) the overwrite of a role (`ids.roles` key: 'everyone', 'bot', ...)
   * or a member (a user key) on a channel that can carry overwrites ('text', 'nsfw', 'gallery';
   * threads follow their parent), and tells a connected client with CHANNEL_UPDATE. The fake
   * checks the bot's computed permissions on the channel routes (send, attach, create or delete
   * threads) and sends the member's in interactions there.
   */
  setPermissionOverwrite(channel: 'text' | 'nsfw' | 'gallery', target: RoleKey | UserKey, bits: OverwriteBits | null): void;
  /**
   * A copy of the stored message as Discord would return it (id, channel_id, content, embeds,
   * attachments with loopback urls, components, flags, author, interaction_metadata, ...);
   * undefined for an unknown or deleted id.
   */
  message(id: string): Record<string, unknown> | undefined;
  /** Ids of messages deleted through any route (webhook @original or by id, channel), in order. */
  deletedMessages(): string[];
  /** Every GET/HEAD on attachment urls, in order. */
  cdnFetches(): CdnFetch[];
  /** The next `times` (default 1) matching requests answer with Discord's error shape. */
  fail(match: FaultMatch, fault: Fault, times?: number): void;
  /**
   * The next API request the predicate accepts (read whole, before it is judged) waits for
   * `release()` before Discord handles it, as a slow upload would; `reached` resolves when it
   * arrives. For races between such a request and another interaction.
   */
  hold(predicate: (request: Pick<RecordedRequest, 'method' | 'path' | 'json' | 'files'>) => boolean): HeldRequest;
  /** Resolves with the probe's first answer that is neither undefined nor false; the probe may be async. */
  waitFor<T>(probe: () => Probed<T> | Promise<Probed<T>>, timeoutMs?: number): Promise<T>;
  /** Drops the client's gateway sockets (as a network failure would); discord.js then resumes. */
  disconnectGateway(): void;
  /** A gateway outage until `restore()`: sockets dropped, new ones never get a HELLO. */
  takeGatewayDown(): { restore(): void };
  close(): Promise<void>;
}

/** What a `waitFor` probe answers: the value waited for, or undefined/false for not yet. */
export type Probed<T> = T | undefined | false;

export interface FakeDiscordOptions {
  token?: string;
  /** Clock for interaction windows (3 s to answer, 15 min of webhook token); default Date.now. */
  now?: () => number;
  /** The shard count GET /gateway/bot recommends; default 1. A guild's events go to its shard. */
  shards?: number;
  /** Puts the server on this shard, of this many (its id is chosen so): a test of several gateways needs it on a known one. */
  guildOnShard?: readonly [number, number];
  /** `session_start_limit.max_concurrency`: IDENTIFYs allowed per 5 s; default 1, as for most bots. */
  maxConcurrency?: number;
}

/** Where Discord's CDN keeps a file: a message's, or one uploaded with a command option. */
type CdnFolder = 'attachments' | 'ephemeral-attachments';
const CDN_FOLDERS: readonly string[] = ['attachments', 'ephemeral-attachments'] satisfies CdnFolder[];
const ATTACHMENT_FLAG_SPOILER = 1 << 3;
const ATTACHMENT_FLAG_ANIMATED = 1 << 5;

const CALLBACK_WINDOW_MS = 3_000;
const WEBHOOK_TOKEN_TTL_MS = 15 * 60_000;
const CHANNEL_ATTACHMENT_LIMIT = 10 * 1024 * 1024;
const MAX_FILES = 10;
const FLAG_EPHEMERAL = 1 << 6;
const FLAG_LOADING = 1 << 7;
/** Flags a sender may set: SUPPRESS_EMBEDS, EPHEMERAL, SUPPRESS_NOTIFICATIONS, IS_VOICE_MESSAGE, IS_COMPONENTS_V2. */
const SETTABLE_FLAGS = (1 << 2) | (1 << 6) | (1 << 12) | (1 << 13) | (1 << 15);
const EDITABLE_FLAGS = (1 << 2) | (1 << 15);
/** Follow-ups an interaction authorised only by a user install may create (Discord's changelog, 2024-06-27). */
const USER_INSTALL_FOLLOW_UP_LIMIT = 5;

const ERROR_MESSAGES: Record<number, string> = {
  0: 'General error',
  10003: 'Unknown Channel',
  10004: 'Unknown Guild',
  10008: 'Unknown Message',
  10013: 'Unknown User',
  10015: 'Unknown Webhook',
  40067: 'A tag is required to create a forum post in this channel',
  50006: 'Cannot send an empty message',
  50008: 'Cannot send messages in a non-text channel',
  50024: 'Cannot execute action on this channel type',
  10062: 'Unknown interaction',
  10063: 'Unknown application command',
  20009: 'Explicit content cannot be sent to the desired recipient(s)',
  40005: 'Request entity too large',
  40060: 'Interaction has already been acknowledged.',
  40094: 'This interaction has hit the maximum number of follow up messages',
  50001: 'Missing Access',
  50013: 'Missing Permissions',
  50027: 'Invalid Webhook Token',
  50035: 'Invalid Form Body',
  50045: 'File uploaded exceeds the maximum size',
  200000: 'Message was blocked by automatic moderation',
  400001: 'Uploads are temporarily limited in this server',
};

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Payload Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/** Interaction types (Discord): 2 command, 3 component, 4 autocomplete, 5 modal submit. */
const ALLOWED_CALLBACKS: Record<number, number[]> = {
  2: [4, 5, 9, 10, 12],
  3: [4, 5, 6, 7, 9, 10, 12],
  4: [8],
  5: [4, 5, 6, 7, 10],
};

/** Where an interaction happens: the bot's server, the foreign server, the bot's DM, a group DM. */
type Scope = 'guild' | 'foreign' | 'dm' | 'groupDm';

/** An `InteractionContext` resolved against the world, checked for what Discord could send. */
interface Place {
  scope: Scope;
  /** The channel kind in the bot's world ('dm' included); undefined in the foreign server and group DM. */
  kind: ChannelKind | undefined;
  context: InteractionContextKind;
  install: InstallKind;
  userKey: UserKey;
  channel: Json;
  /** Role ids of the member (servers only). */
  roles: string[];
  /** The member's permissions in the channel. */
  permissions: string;
  appPermissions: string;
  owners: Record<string, string>;
  locale: string;
  limit: number;
}

interface InteractionState {
  id: string;
  token: string;
  type: number;
  createdAt: number;
  channelId: string;
  userKey: UserKey;
  place: Place;
  /** Only a user install authorised it (no key "0"): Discord caps its follow-ups. */
  userInstallOnly: boolean;
  followUpCount: number;
  /**
   * A user-installed app answering where the member may not use external apps: Discord turns
   * every response and follow-up ephemeral.
   */
  forceEphemeral: boolean;
  attachmentSizeLimit: number;
  payload: Json;
  /** By option name: what `resolved.attachments` carried. */
  attachments: Record<string, Json>;
  callbackType: number | undefined;
  originalMessageId: string | undefined;
  /** The message a component sits on, which types 6/7 answer by editing. */
  componentMessageId: string | undefined;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Json,
    readonly invalid?: string,
  ) {
    super(typeof body.message === 'string' ? body.message : `HTTP ${status}`);
  }
}

function discordError(status: number, code: number, message?: string, errors?: Json): HttpError {
  const text = message ?? ERROR_MESSAGES[code] ?? `${status}: ${STATUS_TEXT[status] ?? 'Error'}`;
  return new HttpError(status, { message: text, code, ...(errors ? { errors } : {}) });
}

const notFound = (): HttpError => discordError(404, 0, '404: Not Found');
const unauthorized = (): HttpError => discordError(401, 0, '401: Unauthorized');
const tooLarge = (): HttpError => discordError(413, 40005);

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

function defaultFakeToken(): string {
  return `fake-discord-bot-token-${randomBytes(12).toString('hex')}`;
}

function invalidForm(message: string, errors: Json): HttpError {
  return new HttpError(400, { message: 'Invalid Form Body', code: 50035, errors }, message);
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/**
 * Judges a body once, as Discord reads it: unreadable JSON or multipart first, then the
 * spec's request schema for the route (a multipart body's payload_json stands for the body).
 */
function judgeBody(method: string, path: string, parsed: ParsedBody): SpecValidation {
  if (parsed.error !== undefined) {
    return { ok: false, message: parsed.error, errors: { _errors: [{ code: 'BASE_TYPE_BAD_TYPE', message: parsed.error }] } };
  }
  return validateRequestBody(method, path, parsed.json ?? null);
}

function roleIdsOf<K extends string>(roles: Record<K, Json>): Record<K, string> {
  return Object.fromEntries(Object.entries<Json>(roles).map(([key, r]) => [key, String(r.id)])) as Record<K, string>;
}

function publicUser(user: Json): Json {
  const { verified: _v, mfa_enabled: _m, email: _e, locale: _l, ...rest } = user;
  return rest;
}

export async function startFakeDiscord(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  // Pay the schema compilation before any interaction's 3-second clock starts.
  warmUpValidators();
  const now = options.now ?? Date.now;
  const token = options.token ?? defaultFakeToken();
  const world: World = createWorld(Date.now(), options.guildOnShard ? { guildOnShard: options.guildOnShard } : {});
  const events = new EventEmitter();
  events.setMaxListeners(0);
  const changed = (): void => {
    events.emit('change');
  };

  const requests: RecordedRequest[] = [];
  /** The same records by interaction id, so a handle's lookups stay cheap in long runs. */
  const requestsByInteraction = new Map<string, RecordedRequest[]>();
  const interactions = new Map<string, InteractionState>();
  const byToken = new Map<string, InteractionState>();
  const messages = new Map<string, Json>();
  const globalCommands: Json[] = [];
  const guildCommands = new Map<string, Json[]>();
  const faults: Array<{ match: FaultMatch; fault: Fault; remaining: number }> = [];
  const holds: Array<{ predicate: Parameters<FakeDiscord['hold']>[0]; arrived: () => void; released: Promise<void> }> = [];
  /**
   * Modal definitions the bot showed, so a submit can mirror their layout (label vs action row),
   * with the place of the interaction that showed it.
   */
  const modals = new Map<string, { data: Json; place: Place }>();
  const deleted: string[] = [];
  const deletedIds = new Set<string>();
  /** Channels deleted through DELETE /channels/{id}, in order; REST then answers 10003 for them. */
  const deletedChannels: string[] = [];
  const deletedChannelIds = new Set<string>();
  /**
   * Uploaded bytes by attachment id, served on the attachment's url: a message's files while it
   * keeps them, a command option's upload (folder 'ephemeral-attachments') for the fake's life.
   */
  const cdnFiles = new Map<string, { folder: CdnFolder; channelId: string; filename: string; contentType: string; data: Buffer }>();
  const cdnFetches: CdnFetch[] = [];
  /** Signs attachment urls (the `hm` parameter) like Discord's CDN, so a mangled url 404s. */
  const cdnSecret = randomBytes(32);
  let readyResolved = false;

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      console.error('fake Discord: handler crashed', error);
      if (!res.headersSent) sendJson(res, 500, { message: '500: Internal Server Error', code: 0 });
    });
  });
  let baseUrl = '';
  const gateway = new FakeGateway({
    token,
    world,
    now,
    url: () => baseUrl.replace('http://', 'ws://'),
    onChange: changed,
    onReady: () => {
      readyResolved = true;
      changed();
    },
  });
  server.on('upgrade', (req, socket, head) => gateway.handleUpgrade(req, socket, head));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  baseUrl = `http://127.0.0.1:${port}`;

  const ids: FakeDiscordIds = {
    application: world.application,
    botUser: world.botUser.id as string,
    guild: world.guild,
    channels: {
      text: world.channels.text.id as string,
      nsfw: world.channels.nsfw.id as string,
      thread: world.channels.thread.id as string,
      nsfwThread: world.channels.nsfwThread.id as string,
      gallery: world.channels.gallery.id as string,
      dm: world.dms.alice.id as string,
    },
    users: {
      alice: world.users.alice.id as string,
      bob: world.users.bob.id as string,
      admin: world.users.admin.id as string,
    },
    roles: roleIdsOf(world.roles),
    foreignGuild: world.foreign.guild,
    foreignChannel: String(world.foreign.channel.id),
    foreignRoles: roleIdsOf(world.foreign.roles),
    groupDm: String(world.groupDm.id),
    forumTags: { ...world.forumTags },
  };

  function waitFor<T>(probe: () => Probed<T> | Promise<Probed<T>>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let done = false;
      /** A probe that reads the (asynchronous) store is not asked again until it has answered. */
      let asking = false;
      const settle = (value: Probed<T>): void => {
        if (done || value === undefined || value === false) return;
        finish();
        resolve(value);
      };
      const fail = (error: unknown): void => {
        if (done) return;
        finish();
        reject(error instanceof Error ? error : new Error(String(error)));
      };
      const check = (): void => {
        if (done || asking) return;
        let value: Probed<T> | Promise<Probed<T>>;
        try {
          value = probe();
        } catch (error) {
          fail(error);
          return;
        }
        if (value instanceof Promise) {
          asking = true;
          value.then(
            (v) => {
              asking = false;
              settle(v);
            },
            (error: unknown) => {
              asking = false;
              fail(error);
            },
          );
          return;
        }
        settle(value);
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`fake Discord: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      // Polling as well as listening: a probe may depend on state the fake does not announce.
      const poll = setInterval(check, 25);
      const finish = (): void => {
        done = true;
        clearTimeout(timer);
        clearInterval(poll);
        events.off('change', check);
      };
      events.on('change', check);
      check();
    });
  }

  function cdnSignature(channelId: string, attachmentId: string, filename: string, ex: string, is: string): string {
    return createHmac('sha256', cdnSecret).update(`${channelId}/${attachmentId}/${filename}|${ex}|${is}`).digest('hex');
  }

  /** The CDN path of a stored file, signed like Discord's (`ex` expiry, `is` issued, `hm` hmac), after /cdn/ or /media/. */
  function signedCdnPath(folder: CdnFolder, channelId: string, id: string, filename: string): string {
    const ex = Math.floor(now() / 1000 + 86_400).toString(16);
    const is = Math.floor(now() / 1000).toString(16);
    const hm = cdnSignature(channelId, id, filename, ex, is);
    return `${folder}/${channelId}/${id}/${encodeURIComponent(filename)}?ex=${ex}&is=${is}&hm=${hm}&`;
  }

  function attachmentObject(channelId: string, file: RecordedFile, meta: Json, ephemeral: boolean): Json {
    const id = snowflake(now());
    const filename = typeof meta.filename === 'string' && meta.filename ? meta.filename : file.filename;
    // Discord marks spoilers in the attachment flags (IS_SPOILER), from the name prefix or is_spoiler.
    const spoiler = filename.startsWith('SPOILER_') || meta.is_spoiler === true;
    const path = signedCdnPath('attachments', channelId, id, filename);
    const media = mediaInfo(filename, file.contentType || undefined, file.data);
    cdnFiles.set(id, { folder: 'attachments', channelId, filename, contentType: media.contentType ?? 'application/octet-stream', data: file.data });
    return {
      id,
      filename,
      size: file.size,
      url: `${baseUrl}/cdn/${path}`,
      proxy_url: `${baseUrl}/media/${path}`,
      ...(media.width !== undefined && media.height !== undefined ? { width: media.width, height: media.height } : {}),
      ...(media.contentType ? { content_type: media.contentType } : {}),
      ...(typeof meta.description === 'string' ? { description: meta.description } : {}),
      ...(typeof meta.title === 'string' ? { title: meta.title } : {}),
      ...(ephemeral ? { ephemeral: true } : {}),
      ...(spoiler ? { flags: ATTACHMENT_FLAG_SPOILER } : {}),
      content_scan_version: 0,
    };
  }

  /**
   * The attachment object of a command option's upload, as Discord resolves it: an ephemeral
   * attachment in the channel's `ephemeral-attachments` folder (kept by Discord only as long as
   * a message uses it), its bytes stored on the CDN; an external upload only described.
   */
  async function optionAttachment(option: string, channelId: string, upload: Upload): Promise<Json> {
    const id = snowflake(now());
    let attachment: Json;
    if ('file' in upload) {
      const { name: filename, data, contentType: declared } = upload.file;
      const media = await probeMedia(filename, declared || undefined, data);
      const path = signedCdnPath('ephemeral-attachments', channelId, id, filename);
      cdnFiles.set(id, { folder: 'ephemeral-attachments', channelId, filename, contentType: media.contentType ?? 'application/octet-stream', data });
      const contentType = upload.contentType === undefined ? media.contentType : (upload.contentType ?? undefined);
      const width = upload.width === undefined ? media.width : (upload.width ?? undefined);
      const height = upload.height === undefined ? media.height : (upload.height ?? undefined);
      const flags = (filename.startsWith('SPOILER_') ? ATTACHMENT_FLAG_SPOILER : 0) | (media.animated ? ATTACHMENT_FLAG_ANIMATED : 0);
      attachment = {
        id,
        filename,
        size: upload.size ?? data.length,
        url: `${baseUrl}/cdn/${path}`,
        proxy_url: `${baseUrl}/media/${path}`,
        ...(width !== undefined ? { width } : {}),
        ...(height !== undefined ? { height } : {}),
        ...(contentType !== undefined ? { content_type: contentType } : {}),
        ...(upload.description !== undefined ? { description: upload.description } : {}),
        ephemeral: true,
        ...(flags !== 0 ? { flags } : {}),
        content_scan_version: 0,
      };
    } else {
      attachment = {
        id,
        filename: upload.name,
        size: upload.size,
        url: upload.url,
        proxy_url: upload.proxyUrl ?? upload.url,
        ...(upload.width !== undefined ? { width: upload.width } : {}),
        ...(upload.height !== undefined ? { height: upload.height } : {}),
        ...(upload.contentType !== undefined ? { content_type: upload.contentType } : {}),
        ephemeral: true,
        content_scan_version: 0,
      };
    }
    const check = validateComponent('AttachmentResponse', attachment);
    if (!check.ok) throw new Error(`fake Discord: option "${option}" makes an attachment Discord would never send: ${check.message ?? 'invalid'}`);
    return attachment;
  }

  /** Attachment ids a message lists (ids of uploads the fake stored, or whatever a test put there). */
  function attachmentIds(message: Json): string[] {
    return Array.isArray(message.attachments) ? message.attachments.filter(isObject).map((a) => String(a.id)) : [];
  }

  /** Discord deletes the files of a deleted message, and those an edit drops: their urls then 404. */
  function dropFiles(ids: string[], keep: string[] = []): void {
    for (const id of ids) if (!keep.includes(id)) cdnFiles.delete(id);
  }

  function deleteMessage(id: string): void {
    const message = messages.get(id);
    if (message) dropFiles(attachmentIds(message));
    messages.delete(id);
    if (!deletedIds.has(id)) {
      deletedIds.add(id);
      deleted.push(id);
    }
    changed();
  }

  function serveCdn(req: IncomingMessage, res: ServerResponse, url: URL, method: string): void {
    const segments = url.pathname.split('/').slice(1).map((seg) => {
      try {
        return decodeURIComponent(seg);
      } catch {
        return seg;
      }
    });
    const path = `/${segments.join('/')}`;
    const folder = segments[1] ?? '';
    const shaped = segments.length === 5 && CDN_FOLDERS.includes(folder);
    const [, , channelId = '', attachmentId = '', filename = ''] = segments;
    const fetchRecord: CdnFetch = {
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      attachmentId: shaped ? attachmentId : undefined,
      status: 0,
      at: now(),
    };
    const finish = (status: number): void => {
      fetchRecord.status = status;
      cdnFetches.push(fetchRecord);
      changed();
    };
    req.resume();
    const fault = takeFault(method, path);
    if (fault) {
      finish(fault.status);
      sendFault(res, fault);
      return;
    }
    if (method !== 'GET' && method !== 'HEAD') {
      finish(405);
      sendCdnError(res, 405, '405: Method Not Allowed');
      return;
    }
    const file = shaped ? cdnFiles.get(attachmentId) : undefined;
    if (!file || file.folder !== folder || file.channelId !== channelId || file.filename !== filename) {
      finish(404);
      sendCdnError(res, 404, 'Not Found');
      return;
    }
    // Unsigned, tampered or expired urls: what Discord's CDN answers since it signs attachment urls.
    const ex = url.searchParams.get('ex') ?? '';
    const is = url.searchParams.get('is') ?? '';
    const hm = Buffer.from(url.searchParams.get('hm') ?? '', 'utf8');
    const expected = Buffer.from(cdnSignature(channelId, attachmentId, filename, ex, is), 'utf8');
    const expired = !/^[0-9a-f]+$/.test(ex) || parseInt(ex, 16) * 1000 < now();
    if (hm.length !== expected.length || !timingSafeEqual(hm, expected) || expired) {
      finish(404);
      sendCdnError(res, 404, 'This content is no longer available.');
      return;
    }
    finish(200);
    sendBytes(res, file.data, file.contentType, method === 'HEAD');
  }

  /**
   * Discord's attachment rules: `attachments` in the body lists what the message keeps,
   * existing attachments by id and new uploads by the index n of their `files[n]` part;
   * without it, existing attachments stay and uploads are added.
   */
  function resolveAttachments(channelId: string, body: Json, files: RecordedFile[], previous: Json[], ephemeral: boolean): Json[] {
    const byIndex = new Map<string, RecordedFile>();
    files.forEach((file, i) => {
      const match = /^files\[(\d+)\]$/.exec(file.field);
      byIndex.set(match?.[1] ?? String(i), file);
    });
    const used = new Set<RecordedFile>();
    const result: Json[] = [];
    if (Array.isArray(body.attachments)) {
      for (const entry of body.attachments) {
        if (!isObject(entry)) continue;
        const id = String(entry.id);
        const existing = previous.find((a) => a.id === id);
        const upload = byIndex.get(id);
        if (existing) result.push({ ...existing, ...(typeof entry.description === 'string' ? { description: entry.description } : {}) });
        else if (upload && !used.has(upload)) {
          used.add(upload);
          result.push(attachmentObject(channelId, upload, entry, ephemeral));
        }
      }
    } else {
      result.push(...previous);
    }
    for (const file of files) if (!used.has(file)) result.push(attachmentObject(channelId, file, {}, ephemeral));
    return result;
  }

  function normaliseEmbeds(embeds: unknown, attachments: Json[]): Json[] {
    if (!Array.isArray(embeds)) return [];
    return embeds.filter(isObject).map((embed) => {
      const out: Json = { type: 'rich', ...clone(embed) };
      for (const key of ['image', 'thumbnail']) {
        const media = out[key];
        if (!isObject(media) || typeof media.url !== 'string' || !media.url.startsWith('attachment://')) continue;
        const name = media.url.slice('attachment://'.length);
        const attachment = attachments.find((a) => a.filename === name);
        if (!attachment) continue;
        out[key] = {
          ...media,
          url: attachment.url,
          proxy_url: attachment.proxy_url,
          ...(typeof attachment.width === 'number' ? { width: attachment.width, height: attachment.height } : {}),
          ...(typeof attachment.content_type === 'string' ? { content_type: attachment.content_type } : {}),
          flags: 0,
        };
      }
      return out;
    });
  }

  function mentionsFor(content: string, allowed: unknown): { mentions: Json[]; everyone: boolean } {
    const parse = isObject(allowed) && Array.isArray(allowed.parse) ? allowed.parse : undefined;
    const listed = isObject(allowed) && Array.isArray(allowed.users) ? allowed.users : [];
    const usersAllowed = !isObject(allowed) || parse?.includes('users') === true;
    const mentions: Json[] = [];
    for (const match of content.matchAll(/<@!?(\d{17,20})>/g)) {
      const id = match[1] ?? '';
      if (!usersAllowed && !listed.includes(id)) continue;
      const user = Object.values(world.users).find((u) => u.id === id);
      if (user && !mentions.some((m) => m.id === id)) mentions.push(publicUser(user));
    }
    const everyoneAllowed = !isObject(allowed) || parse?.includes('everyone') === true;
    return { mentions, everyone: everyoneAllowed && /@(everyone|here)/.test(content) };
  }

  function interactionMetadata(state: InteractionState): Json {
    const data = isObject(state.payload.data) ? state.payload.data : {};
    const user = publicUser(world.users[state.userKey]);
    return {
      id: state.id,
      type: state.type,
      user,
      authorizing_integration_owners: state.payload.authorizing_integration_owners,
      ...(state.type === 2 ? { name: data.name, command_type: data.type ?? 1 } : {}),
    };
  }

  function createMessage(channelId: string, body: Json, files: RecordedFile[], extra: { state?: InteractionState; flags?: number; type?: number; id?: string }): Json {
    const id = extra.id ?? snowflake(now());
    const flags = (typeof body.flags === 'number' ? body.flags & SETTABLE_FLAGS : 0) | (extra.flags ?? 0);
    const ephemeral = (flags & FLAG_EPHEMERAL) !== 0;
    const attachments = resolveAttachments(channelId, body, files, [], ephemeral);
    const content = typeof body.content === 'string' ? body.content : '';
    const { mentions, everyone } = mentionsFor(content, body.allowed_mentions);
    const state = extra.state;
    const message: Json = {
      type: extra.type ?? 0,
      content,
      mentions,
      mention_roles: [],
      attachments,
      embeds: normaliseEmbeds(body.embeds, attachments),
      timestamp: new Date(now()).toISOString(),
      edited_timestamp: null,
      flags,
      components: Array.isArray(body.components) ? clone(body.components) : [],
      id,
      channel_id: channelId,
      author: publicUser(world.botUser),
      pinned: false,
      mention_everyone: everyone,
      tts: !state && body.tts === true,
      ...(body.nonce !== undefined && !state ? { nonce: body.nonce } : {}),
      ...(isObject(body.poll) ? { poll: clone(body.poll) } : {}),
      ...(state
        ? {
            webhook_id: world.application,
            application_id: world.application,
            interaction_metadata: interactionMetadata(state),
            ...(state.type === 2
              ? { interaction: { id: state.id, type: state.type, name: (state.payload.data as Json).name, user: publicUser(world.users[state.userKey]) } }
              : {}),
          }
        : {}),
    };
    messages.set(id, message);
    return message;
  }

  function editMessage(message: Json, body: Json, files: RecordedFile[]): Json {
    const flags = typeof message.flags === 'number' ? message.flags : 0;
    const ephemeral = (flags & FLAG_EPHEMERAL) !== 0;
    const previous = Array.isArray(message.attachments) ? message.attachments.filter(isObject) : [];
    const attachments = resolveAttachments(String(message.channel_id), body, files, previous, ephemeral);
    dropFiles(attachmentIds(message), attachmentIds({ attachments }));
    if ('content' in body) message.content = typeof body.content === 'string' ? body.content : '';
    if ('components' in body) message.components = Array.isArray(body.components) ? clone(body.components) : [];
    message.attachments = attachments;
    message.embeds = 'embeds' in body ? normaliseEmbeds(body.embeds, attachments) : message.embeds;
    let nextFlags = flags & ~FLAG_LOADING;
    if (typeof body.flags === 'number') nextFlags = (nextFlags & ~EDITABLE_FLAGS) | (body.flags & EDITABLE_FLAGS);
    message.flags = nextFlags;
    const { mentions, everyone } = mentionsFor(String(message.content), body.allowed_mentions);
    message.mentions = mentions;
    message.mention_everyone = everyone;
    // Discord does not mark the first edit of a deferred reply as an edit: it is the reply.
    message.edited_timestamp = (flags & FLAG_LOADING) !== 0 ? null : new Date(now()).toISOString();
    return message;
  }

  interface Ctx {
    req: IncomingMessage;
    method: string;
    path: string;
    segments: string[];
    query: Record<string, string>;
    json: unknown;
    files: RecordedFile[];
    /** The body judged against Discord's spec once, before routing (always ok for GET/DELETE). */
    spec: SpecValidation;
  }

  function requireBot(ctx: Ctx): void {
    if (ctx.req.headers.authorization !== `Bot ${token}`) throw unauthorized();
  }

  /** Where a route reads its body: Discord refuses a body its spec refuses before acting on it. */
  function validate(ctx: Ctx): Json {
    if (!ctx.spec.ok) throw invalidForm(ctx.spec.message ?? 'invalid body', ctx.spec.errors ?? {});
    return isObject(ctx.json) ? ctx.json : {};
  }

  function checkFiles(ctx: Ctx, limit: number): void {
    if (ctx.files.length > MAX_FILES) throw tooLarge();
    if (ctx.files.some((f) => f.size > limit)) throw tooLarge();
  }

  function interactionFromWebhook(app: string, webhookToken: string): InteractionState {
    const state = byToken.get(webhookToken);
    if (!state || app !== world.application || now() - state.createdAt > WEBHOOK_TOKEN_TTL_MS) {
      throw discordError(401, 50027);
    }
    return state;
  }

  function originalOf(state: InteractionState): Json {
    if (state.callbackType === undefined) throw discordError(404, 10015);
    const id = state.originalMessageId;
    const message = id ? messages.get(id) : undefined;
    if (!message) throw discordError(404, 10008);
    return message;
  }

  function webhookMessage(state: InteractionState, messageId: string): Json {
    if (messageId === '@original') return originalOf(state);
    const message = messages.get(messageId);
    const meta = message && isObject(message.interaction_metadata) ? message.interaction_metadata : undefined;
    if (!message || (meta?.id !== state.id && messageId !== state.componentMessageId)) throw discordError(404, 10008);
    return message;
  }

  function handleCallback(ctx: Ctx, interactionId: string, interactionTokenValue: string): { status: number; body?: unknown } {
    const state = interactions.get(interactionId);
    if (!state || state.token !== interactionTokenValue) throw discordError(404, 10062);
    if (state.callbackType !== undefined) throw discordError(400, 40060);
    if (now() - state.createdAt > CALLBACK_WINDOW_MS) throw discordError(404, 10062);
    const body = validate(ctx);
    const type = Number(body.type);
    if (!(ALLOWED_CALLBACKS[state.type] ?? []).includes(type)) {
      throw invalidForm(`type: callback type ${type} is not valid for interaction type ${state.type}`, {
        type: { _errors: [{ code: 'INTERACTION_RESPONSE_TYPE_INVALID', message: 'Invalid interaction response type' }] },
      });
    }
    checkFiles(ctx, state.attachmentSizeLimit);
    const data = isObject(body.data) ? body.data : {};
    let message: Json | undefined;
    if (type === 4 || type === 5) {
      const messageType = state.type === 2 ? 20 : 0;
      const loading = type === 5 ? FLAG_LOADING : 0;
      const forced = state.forceEphemeral ? FLAG_EPHEMERAL : 0;
      const msgBody = type === 5 ? { flags: data.flags } : data;
      message = createMessage(state.channelId, msgBody, type === 5 ? [] : ctx.files, { state, flags: loading | forced, type: messageType });
      state.originalMessageId = String(message.id);
    } else if (type === 6 || type === 7) {
      const target = state.componentMessageId ? messages.get(state.componentMessageId) : undefined;
      if (target && type === 7) message = editMessage(target, data, ctx.files);
      else message = target;
      state.originalMessageId = state.componentMessageId;
    } else if (type === 9 && typeof data.custom_id === 'string') {
      modals.set(data.custom_id, { data: clone(data), place: state.place });
    }
    state.callbackType = type;
    if (ctx.query.with_response !== 'true') return { status: 204 };
    const flags = message && typeof message.flags === 'number' ? message.flags : 0;
    return {
      status: 200,
      body: {
        interaction: {
          id: state.id,
          type: state.type,
          ...(message
            ? {
                response_message_id: message.id,
                response_message_loading: (flags & FLAG_LOADING) !== 0,
                response_message_ephemeral: (flags & FLAG_EPHEMERAL) !== 0,
              }
            : {}),
        },
        ...(message && (type === 4 || type === 5 || type === 7) ? { resource: { type, message } } : {}),
      },
    };
  }

  function handleWebhook(ctx: Ctx): { status: number; body?: unknown } {
    const [, app = '', webhookToken = '', sub, messageId] = ctx.segments;
    const state = interactionFromWebhook(app, webhookToken);
    if (sub === undefined) {
      if (ctx.method !== 'POST') throw discordError(405, 0, '405: Method Not Allowed');
      if (state.callbackType === undefined || state.callbackType === 8) throw discordError(404, 10015);
      // Discord documents the cap and the code, not the status; 400 is what its other
      // "maximum number of" refusals (300xx) answer with.
      if (state.userInstallOnly && state.followUpCount >= USER_INSTALL_FOLLOW_UP_LIMIT) throw discordError(400, 40094);
      const body = validate(ctx);
      checkFiles(ctx, state.attachmentSizeLimit);
      const forced = state.forceEphemeral ? FLAG_EPHEMERAL : 0;
      const message = createMessage(state.channelId, body, ctx.files, { state, flags: forced, type: state.type === 2 ? 20 : 0 });
      state.followUpCount += 1;
      return ctx.query.wait === 'true' ? { status: 200, body: message } : { status: 204 };
    }
    if (sub !== 'messages' || messageId === undefined || ctx.segments.length !== 5) throw notFound();
    if (ctx.method === 'GET') return { status: 200, body: webhookMessage(state, messageId) };
    if (ctx.method === 'DELETE') {
      const message = webhookMessage(state, messageId);
      deleteMessage(String(message.id));
      return { status: 204 };
    }
    if (ctx.method === 'PATCH') {
      const message = webhookMessage(state, messageId);
      const body = validate(ctx);
      checkFiles(ctx, state.attachmentSizeLimit);
      return { status: 200, body: editMessage(message, body, ctx.files) };
    }
    throw discordError(405, 0, '405: Method Not Allowed');
  }

  function knownChannel(id: string): Json {
    const channel = deletedChannelIds.has(id) ? undefined : channelObject(world, id);
    if (!channel) throw discordError(404, 10003);
    return channel;
  }

  /** The bot's permissions in a channel of its server: @everyone's and its role's, after the overwrites. */
  function botPermissionsIn(channel: Json): bigint {
    const roleIds = world.members.bot.roles as string[];
    return applyOverwrites(world, BigInt(permissionsOf(world.roles, roleIds)), channel, roleIds, String(world.botUser.id));
  }

  function requirePermissions(channel: Json, needed: bigint): void {
    if (channel.guild_id !== world.guild) return;
    const perms = botPermissionsIn(channel);
    if ((perms & P.ViewChannel) === 0n) throw discordError(403, 50001);
    if ((perms & needed) !== needed) throw discordError(403, 50013);
  }

  const isThread = (channel: Json): boolean => channel.type === 10 || channel.type === 11 || channel.type === 12;

  /** A message was sent in a thread created at run time: Discord counts it (the first message aside). */
  function countThreadMessage(channelId: string, messageId: string): void {
    const thread = world.threads.find((t) => t.id === channelId);
    if (!thread) return;
    thread.message_count = Number(thread.message_count ?? 0) + 1;
    thread.total_message_sent = Number(thread.total_message_sent ?? 0) + 1;
    thread.last_message_id = messageId;
  }

  /** Sends a dispatch if a client is connected; REST-only tests have no gateway session. */
  function dispatchIfConnected(t: string, d: Json): void {
    if (!gateway.hasSession) return;
    void gateway.dispatch(t, d).catch(() => undefined);
  }

  /**
   * POST /channels/{id}/threads. In a forum (type 15): a post, a public thread whose first message
   * (same id as the thread) carries `message` and the uploaded files; answered 201 with the thread,
   * its `member` and its `message`. In a text channel: a thread without a message (private unless
   * `type` says 11), with CREATE_PRIVATE_THREADS / CREATE_PUBLIC_THREADS (the bot has them through
   * @everyone). Anything else cannot hold threads (50024).
   */
  function createThread(ctx: Ctx, channel: Json): { status: number; body?: unknown } {
    if (channel.type !== 15 && channel.type !== 0 && channel.type !== 5) throw discordError(400, 50024);
    const body = validate(ctx);
    const forum = channel.type === 15;
    const createdAt = now();
    const id = snowflake(createdAt);
    let threadType = 11;
    if (forum) {
      // The spec's union also admits a body without `message` (the text-channel branch); a forum
      // post must match the forum branch whole.
      const check = validateComponent('CreateForumThreadRequest', body);
      if (!check.ok) throw invalidForm(check.message ?? 'invalid forum post', check.errors ?? {});
      const message = isObject(body.message) ? body.message : {};
      const tags = Array.isArray(body.applied_tags) ? body.applied_tags.map(String) : [];
      const available = Array.isArray(channel.available_tags) ? (channel.available_tags as Json[]) : [];
      const unknown = tags.findIndex((t) => !available.some((a) => a.id === t));
      if (unknown >= 0) {
        throw invalidForm(`applied_tags.${unknown}: not a tag of this forum`, {
          applied_tags: { [String(unknown)]: { _errors: [{ code: 'BASE_TYPE_CHOICES', message: `Value "${tags[unknown] ?? ''}" is not a valid tag.` }] } },
        });
      }
      const moderated = tags.some((t) => available.some((a) => a.id === t && a.moderated === true));
      const needed = P.SendMessages | (ctx.files.length > 0 ? P.AttachFiles : 0n) | (moderated ? P.ManageThreads : 0n);
      requirePermissions(channel, needed);
      if ((Number(channel.flags ?? 0) & (1 << 4)) !== 0 && tags.length === 0) throw discordError(400, 40067);
      checkFiles(ctx, CHANNEL_ATTACHMENT_LIMIT);
      const empty =
        !(typeof message.content === 'string' && message.content.length > 0) &&
        !(Array.isArray(message.embeds) && message.embeds.length > 0) &&
        !(Array.isArray(message.components) && message.components.length > 0) &&
        !(Array.isArray(message.sticker_ids) && message.sticker_ids.length > 0) &&
        !isObject(message.poll) &&
        ctx.files.length === 0;
      if (empty) throw discordError(400, 50006);
    } else {
      threadType = typeof body.type === 'number' ? body.type : 12;
      requirePermissions(channel, threadType === 12 ? P.CreatePrivateThreads : P.CreatePublicThreads);
    }
    const at = new Date(createdAt).toISOString();
    const thread: Json = {
      id,
      type: threadType,
      guild_id: world.guild,
      name: body.name,
      parent_id: channel.id,
      owner_id: world.botUser.id,
      last_message_id: forum ? id : null,
      rate_limit_per_user: typeof body.rate_limit_per_user === 'number' ? body.rate_limit_per_user : 0,
      flags: 0,
      // Discord counts neither the first message of a post nor, later, deleted ones.
      member_count: 1,
      message_count: 0,
      total_message_sent: 0,
      applied_tags: Array.isArray(body.applied_tags) ? body.applied_tags.map(String) : [],
      thread_metadata: {
        archived: false,
        auto_archive_duration: typeof body.auto_archive_duration === 'number' ? body.auto_archive_duration : Number(channel.default_auto_archive_duration ?? 4320),
        archive_timestamp: at,
        locked: false,
        create_timestamp: at,
        ...(threadType === 12 ? { invitable: body.invitable !== false } : {}),
      },
    };
    world.threads.push(thread);
    const member = { id, user_id: world.botUser.id, join_timestamp: at, flags: 1 };
    const message = forum ? createMessage(id, isObject(body.message) ? body.message : {}, ctx.files, { id }) : undefined;
    if (forum) channel.last_message_id = id;
    dispatchIfConnected('THREAD_CREATE', { ...clone(thread), newly_created: true, member });
    changed();
    return { status: 201, body: { ...clone(thread), member, ...(message ? { message: clone(message) } : {}) } };
  }

  /**
   * DELETE /channels/{id}: a thread with MANAGE_THREADS in its parent (its messages and their files
   * go with it), another server channel with MANAGE_CHANNELS (which the bot's role lacks); a DM
   * is only closed (answered, nothing forgotten).
   */
  function deleteChannel(channel: Json): { status: number; body?: unknown } {
    const id = String(channel.id);
    if (channel.guild_id === undefined) return { status: 200, body: channel };
    requirePermissions(channel, isThread(channel) ? P.ManageThreads : P.ManageChannels);
    for (const [messageId, message] of [...messages]) if (message.channel_id === id) deleteMessage(messageId);
    const index = world.threads.findIndex((t) => t.id === id);
    if (index >= 0) world.threads.splice(index, 1);
    deletedChannelIds.add(id);
    deletedChannels.push(id);
    if (isThread(channel)) dispatchIfConnected('THREAD_DELETE', { id, guild_id: channel.guild_id, parent_id: channel.parent_id, type: channel.type });
    else dispatchIfConnected('CHANNEL_DELETE', clone(channel));
    changed();
    return { status: 200, body: channel };
  }

  function handleChannel(ctx: Ctx): { status: number; body?: unknown } {
    requireBot(ctx);
    const [, channelId = '', sub, messageId, ...rest] = ctx.segments;
    // Channels that exist but the bot cannot see: a server it is not in, a group DM without it.
    if (channelId === ids.foreignChannel || channelId === ids.groupDm) throw discordError(403, 50001);
    const channel = knownChannel(channelId);
    if (sub === undefined && ctx.method === 'GET') return { status: 200, body: channel };
    if (sub === undefined && ctx.method === 'DELETE') return deleteChannel(channel);
    if (sub === 'threads' && messageId === undefined) {
      if (ctx.method !== 'POST') throw discordError(405, 0, '405: Method Not Allowed');
      return createThread(ctx, channel);
    }
    if (sub !== 'messages' || rest.length > 0) throw notFound();
    if (messageId === undefined) {
      if (ctx.method !== 'POST') throw notFound();
      if (channel.type === 4 || channel.type === 15) throw discordError(400, 50008);
      const body = validate(ctx);
      requirePermissions(channel, (isThread(channel) ? P.SendMessagesInThreads : P.SendMessages) | (ctx.files.length > 0 ? P.AttachFiles : 0n));
      checkFiles(ctx, CHANNEL_ATTACHMENT_LIMIT);
      const message = createMessage(channelId, body, ctx.files, {});
      countThreadMessage(channelId, String(message.id));
      return { status: 200, body: message };
    }
    const message = messages.get(messageId);
    if (!message || message.channel_id !== channelId) throw discordError(404, 10008);
    if (ctx.method === 'GET') return { status: 200, body: message };
    if (ctx.method === 'DELETE') {
      deleteMessage(messageId);
      return { status: 204 };
    }
    if (ctx.method === 'PATCH') {
      const body = validate(ctx);
      checkFiles(ctx, CHANNEL_ATTACHMENT_LIMIT);
      return { status: 200, body: editMessage(message, body, ctx.files) };
    }
    throw discordError(405, 0, '405: Method Not Allowed');
  }

  function commandList(guildId: string | undefined): Json[] {
    if (guildId === undefined) return globalCommands;
    let list = guildCommands.get(guildId);
    if (!list) guildCommands.set(guildId, (list = []));
    return list;
  }

  function normaliseCommand(input: Json, guildId: string | undefined, existing: Json | undefined): Json {
    const type = typeof input.type === 'number' ? input.type : 1;
    const perms = input.default_member_permissions;
    const command: Json = {
      id: existing?.id ?? snowflake(now()),
      application_id: world.application,
      version: existing?.version ?? snowflake(now()),
      default_member_permissions: perms === null || perms === undefined ? null : String(perms),
      type,
      name: input.name,
      ...(isObject(input.name_localizations) ? { name_localizations: input.name_localizations } : {}),
      description: typeof input.description === 'string' ? input.description : '',
      ...(isObject(input.description_localizations) ? { description_localizations: input.description_localizations } : {}),
      ...(guildId !== undefined ? { guild_id: guildId } : {}),
      dm_permission: guildId === undefined ? input.dm_permission !== false : undefined,
      contexts: Array.isArray(input.contexts) ? input.contexts : null,
      integration_types: Array.isArray(input.integration_types) ? input.integration_types : [0],
      ...(Array.isArray(input.options) && input.options.length > 0 ? { options: clone(input.options) } : {}),
      nsfw: input.nsfw === true,
    };
    if (command.dm_permission === undefined) delete command.dm_permission;
    if (existing) {
      const { id: _a, version: _b, ...before } = existing;
      const { id: _c, version: _d, ...after } = command;
      // Discord bumps the version only when the definition changed.
      if (JSON.stringify(before) !== JSON.stringify(after)) command.version = snowflake(now());
    }
    return command;
  }

  /** A command as GET shows it without `with_localizations`: no dictionaries anywhere in it. */
  function withoutLocalizations(value: Json): Json {
    const strip = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(strip);
      if (!isObject(v)) return v;
      return Object.fromEntries(
        Object.entries(v)
          .filter(([k]) => k !== 'name_localizations' && k !== 'description_localizations')
          .map(([k, inner]) => [k, strip(inner)]),
      );
    };
    return strip(clone(value)) as Json;
  }

  function handleCommands(ctx: Ctx): { status: number; body?: unknown } {
    requireBot(ctx);
    const segs = ctx.segments;
    if (segs[1] !== world.application) throw discordError(403, 50001);
    let rest = segs.slice(2);
    let guildId: string | undefined;
    if (rest[0] === 'guilds') {
      guildId = rest[1];
      if (guildId !== world.guild) throw discordError(403, 50001);
      rest = rest.slice(2);
    }
    if (rest[0] !== 'commands') throw notFound();
    const list = commandList(guildId);
    const commandId = rest[1];
    if (rest.length > 2) throw notFound();
    if (commandId === undefined) {
      // Discord sends the localization dictionaries only when asked (`with_localizations`).
      if (ctx.method === 'GET') return { status: 200, body: ctx.query.with_localizations === 'true' ? clone(list) : list.map(withoutLocalizations) };
      if (ctx.method === 'PUT') {
        validate(ctx);
        const incoming = Array.isArray(ctx.json) ? ctx.json.filter(isObject) : [];
        const seen = new Set<string>();
        for (const [i, cmd] of incoming.entries()) {
          const key = `${String(cmd.type ?? 1)}:${String(cmd.name)}`;
          if (seen.has(key)) {
            throw invalidForm(`${i}.name: duplicate command name`, {
              [String(i)]: { name: { _errors: [{ code: 'APPLICATION_COMMANDS_DUPLICATE_NAME', message: `Application command names must be unique` }] } },
            });
          }
          seen.add(key);
        }
        const next = incoming.map((cmd) => {
          const existing = list.find((c) => c.name === cmd.name && c.type === (cmd.type ?? 1));
          return normaliseCommand(cmd, guildId, existing);
        });
        list.splice(0, list.length, ...next);
        return { status: 200, body: clone(list) };
      }
      if (ctx.method === 'POST') {
        const body = validate(ctx);
        const index = list.findIndex((c) => c.name === body.name && c.type === (body.type ?? 1));
        const command = normaliseCommand(body, guildId, index >= 0 ? list[index] : undefined);
        if (index >= 0) list[index] = command;
        else list.push(command);
        return { status: index >= 0 ? 200 : 201, body: clone(command) };
      }
      throw discordError(405, 0, '405: Method Not Allowed');
    }
    const index = list.findIndex((c) => c.id === commandId);
    const found = list[index];
    if (!found) throw discordError(404, 10063);
    if (ctx.method === 'GET') return { status: 200, body: clone(found) };
    if (ctx.method === 'DELETE') {
      list.splice(index, 1);
      return { status: 204 };
    }
    if (ctx.method === 'PATCH') {
      const body = validate(ctx);
      const command = normaliseCommand({ ...found, ...body }, guildId, found);
      list[index] = command;
      return { status: 200, body: clone(command) };
    }
    throw discordError(405, 0, '405: Method Not Allowed');
  }

  function applicationObject(): Json {
    return {
      id: world.application,
      name: 'Venice Imagine (fake)',
      icon: null,
      description: 'Turns prompts into images.',
      summary: '',
      type: null,
      hook: true,
      bot_public: true,
      bot_require_code_grant: false,
      verify_key: randomBytes(32).toString('hex'),
      flags: APPLICATION_FLAGS,
      owner: publicUser(world.users.admin),
      team: null,
      bot: publicUser(world.botUser),
      approximate_guild_count: 1,
      approximate_user_install_count: 1,
      approximate_user_authorization_count: 0,
      interactions_endpoint_url: null,
      role_connections_verification_url: null,
      event_webhooks_url: null,
      event_webhooks_status: 1,
      tags: [],
      integration_types_config: {
        '0': { oauth2_install_params: { scopes: ['applications.commands', 'bot'], permissions: BOT_PERMISSIONS } },
        '1': { oauth2_install_params: { scopes: ['applications.commands'], permissions: '0' } },
      },
      redirect_uris: [],
      rpc_origins: [],
      is_monetized: false,
      is_verified: false,
      is_discoverable: false,
    };
  }

  function route(ctx: Ctx): { status: number; body?: unknown } {
    const { method, segments: s } = ctx;
    const head = s[0];
    if (head === 'interactions' && s.length === 4 && s[3] === 'callback' && method === 'POST') {
      return handleCallback(ctx, s[1] ?? '', s[2] ?? '');
    }
    if (head === 'webhooks' && s.length >= 3) return handleWebhook(ctx);
    if (head === 'channels' && s.length >= 2) return handleChannel(ctx);
    if (head === 'applications' && s[1] === '@me' && s.length === 2 && method === 'GET') {
      requireBot(ctx);
      return { status: 200, body: applicationObject() };
    }
    if (head === 'applications' && s.length >= 3) return handleCommands(ctx);
    if (head === 'oauth2' && s[1] === 'applications' && s[2] === '@me' && method === 'GET') {
      requireBot(ctx);
      return { status: 200, body: applicationObject() };
    }
    if (head === 'gateway' && method === 'GET') {
      const ws = baseUrl.replace('http://', 'ws://');
      if (s.length === 1) return { status: 200, body: { url: ws } };
      if (s.length === 2 && s[1] === 'bot') {
        requireBot(ctx);
        return {
          status: 200,
          body: { url: ws, shards: options.shards ?? 1, session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: options.maxConcurrency ?? 1 } },
        };
      }
    }
    if (head === 'users' && s.length === 2 && method === 'GET') {
      requireBot(ctx);
      if (s[1] === '@me') return { status: 200, body: world.botUser };
      const user = [world.botUser, ...Object.values(world.users)].find((u) => u.id === s[1]);
      if (!user) throw discordError(404, 10013);
      return { status: 200, body: publicUser(user) };
    }
    if (head === 'users' && s[1] === '@me' && s[2] === 'channels' && s.length === 3 && method === 'POST') {
      requireBot(ctx);
      const recipient = isObject(ctx.json) ? ctx.json.recipient_id : undefined;
      const key = (Object.keys(world.users) as UserKey[]).find((k) => world.users[k].id === recipient);
      if (!key) throw invalidForm('recipient_id: unknown user', { recipient_id: { _errors: [{ code: 'USER_NOT_FOUND', message: 'Unknown User' }] } });
      return { status: 200, body: world.dms[key] };
    }
    if (head === 'guilds' && s.length >= 2 && method === 'GET') {
      requireBot(ctx);
      if (s[1] === world.foreign.guild) throw discordError(403, 50001);
      if (s[1] !== world.guild) throw discordError(404, 10004);
      if (s.length === 2) {
        const counts = ctx.query.with_counts === 'true' ? { approximate_member_count: 4, approximate_presence_count: 1 } : {};
        return { status: 200, body: { ...guildObject(world), ...counts } };
      }
      if (s.length === 3 && s[2] === 'channels') {
        return { status: 200, body: [world.channels.text.parent_id, world.channels.text.id, world.channels.nsfw.id, world.channels.gallery.id].map((id) => channelObject(world, String(id))) };
      }
      if (s.length === 3 && s[2] === 'roles') return { status: 200, body: Object.values(world.roles) };
      if (s.length === 4 && s[2] === 'members') {
        const found = Object.values(world.members).find((m) => isObject(m.user) && m.user.id === s[3]);
        if (!found) throw discordError(404, 10007, 'Unknown Member');
        return { status: 200, body: found };
      }
    }
    throw notFound();
  }

  function takeFault(method: string, path: string): Fault | undefined {
    const index = faults.findIndex((f) => {
      // A /g or /y pattern keeps lastIndex between calls; matching must not depend on history.
      f.match.path.lastIndex = 0;
      return (f.match.method === undefined || f.match.method.toUpperCase() === method) && f.match.path.test(path);
    });
    const entry = faults[index];
    if (!entry) return undefined;
    entry.remaining -= 1;
    if (entry.remaining <= 0) faults.splice(index, 1);
    return entry.fault;
  }

  function sendFault(res: ServerResponse, fault: Fault): void {
    if (fault.status === 429) {
      const retryAfter = fault.retryAfter ?? 1;
      const resetAt = now() / 1000 + retryAfter;
      sendJson(
        res,
        429,
        { message: fault.message ?? 'You are being rate limited.', retry_after: retryAfter, global: false, ...(fault.code !== undefined ? { code: fault.code } : {}) },
        {
          'retry-after': String(Math.max(0, Math.ceil(retryAfter))),
          'x-ratelimit-limit': '5',
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': resetAt.toFixed(3),
          'x-ratelimit-reset-after': retryAfter.toFixed(3),
          'x-ratelimit-bucket': randomBytes(16).toString('hex'),
          'x-ratelimit-scope': 'user',
        },
      );
      return;
    }
    const code = fault.code ?? 0;
    const message = fault.message ?? (code !== 0 ? ERROR_MESSAGES[code] : undefined) ?? `${fault.status}: ${STATUS_TEXT[fault.status] ?? 'Error'}`;
    sendJson(res, fault.status, { message, code });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', baseUrl);
    const method = (req.method ?? 'GET').toUpperCase();
    if (url.pathname.startsWith('/cdn/') || url.pathname.startsWith('/media/')) {
      serveCdn(req, res, url, method);
      return;
    }
    const body = await readBody(req);
    const parsed = body.tooLarge ? { json: undefined, files: [], multipart: false } : await parseBody(req.headers['content-type'], body.raw);
    const version = /^\/api\/v(\d+)(\/.*)?$/.exec(url.pathname);
    const rawPath = version ? (version[2] ?? '/') : url.pathname;
    const segments = rawPath.split('/').slice(1).map((seg) => {
      try {
        return decodeURIComponent(seg);
      } catch {
        return seg;
      }
    });
    const path = `/${segments.join('/')}`;
    const held = holds.findIndex((h) => h.predicate({ method, path, json: parsed.json, files: parsed.files }));
    if (held >= 0) {
      const [h] = holds.splice(held, 1);
      h?.arrived();
      await h?.released;
    }
    const record: RecordedRequest = {
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      headers: { ...req.headers },
      json: parsed.json,
      files: parsed.files,
      at: now(),
      status: 0,
    };
    const ctx: Ctx = {
      req,
      method,
      path,
      segments,
      query: record.query,
      json: parsed.json,
      files: parsed.files,
      // A body over the size limit is answered 413 unread; there is nothing to judge.
      spec: BODY_METHODS.has(method) && !body.tooLarge ? judgeBody(method, path, parsed) : { ok: true },
    };
    const finish = (status: number): void => {
      record.status = status;
      // Recorded whatever the answer: a body the spec refuses is invalid even when a dead token
      // or an injected fault answered first, so `invalidRequests()` misses none.
      if (!ctx.spec.ok) record.invalid ??= ctx.spec.message ?? 'invalid body';
      requests.push(record);
      indexByInteraction(record, segments);
      changed();
    };
    if (body.tooLarge) {
      finish(413);
      sendJson(res, 413, tooLarge().body);
      return;
    }
    if (!version || version[1] !== '10') {
      finish(404);
      sendJson(res, 404, notFound().body);
      return;
    }
    const fault = takeFault(record.method, record.path);
    if (fault) {
      finish(fault.status);
      sendFault(res, fault);
      return;
    }
    let result: { status: number; body?: unknown };
    try {
      result = route(ctx);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      if (error.invalid !== undefined) record.invalid = error.invalid;
      finish(error.status);
      sendJson(res, error.status, error.body);
      return;
    }
    if (!ctx.spec.ok && result.status < 300) {
      // A route that acts on its body without calling validate() must not turn a body Discord
      // refuses into a success.
      const refused = invalidForm(ctx.spec.message ?? 'invalid body', ctx.spec.errors ?? {});
      finish(refused.status);
      sendJson(res, refused.status, refused.body);
      return;
    }
    finish(result.status);
    if (result.status === 204) sendNoContent(res);
    else sendJson(res, result.status, result.body);
  }

  /** The role ids `given` names in a server's role table (key, name or id), refusing what Discord never sends. */
  function memberRoleIds(given: string[], table: Partial<Record<RoleKey, Json>>, server: string): string[] {
    const out: string[] = [];
    for (const entry of given) {
      const found = Object.entries(table).find(
        ([key, r]) => key === entry || String(r?.name).toLowerCase() === entry.toLowerCase() || r?.id === entry,
      );
      if (!found?.[1]) {
        const known = Object.values(table).map((r) => String(r?.name)).join(', ');
        throw new Error(`fake Discord: no role "${entry}" in ${server} (roles: ${known})`);
      }
      const [key, r] = found;
      if (key === 'everyone') throw new Error('fake Discord: member.roles never lists @everyone: every member has it (its id is the guild\'s)');
      if (key === 'bot') throw new Error(`fake Discord: "${String(r.name)}" is the bot's managed role; no user holds it`);
      if (!out.includes(String(r.id))) out.push(String(r.id));
    }
    return out;
  }

  /** @everyone's permissions plus those of the roles: a member's in a channel without overwrites. */
  function permissionsOf(table: Partial<Record<RoleKey, Json>>, roleIds: string[]): string {
    let total = BigInt(String(table.everyone?.permissions ?? '0'));
    for (const r of Object.values(table)) if (r && roleIds.includes(String(r.id))) total |= BigInt(String(r.permissions));
    return total.toString();
  }

  /**
   * Where an interaction happens and through which installation, as Discord could send it: a
   * guild install reaches the bot's server and DM, a user install also servers the bot is not in
   * and private channels. `authorizer` is the user whose install authorised it when that is not
   * the one interacting (someone else pressing a button on a user-installed app's reply).
   */
  function resolveCtx(ctx: InteractionContext = {}, authorizer?: string): Place {
    const install = ctx.install ?? 'guild';
    const userKey = ctx.user ?? 'alice';
    const given = ctx.channel;
    const context = ctx.context ?? (given === 'dm' ? 1 : 0);
    const refuse = (why: string): never => {
      throw new Error(`fake Discord: ${why}`);
    };
    if (given === 'dm' && context !== 1) refuse(`channel 'dm' is the bot's DM, context 1, not ${context}`);
    if (context === 1 && given !== undefined && given !== 'dm') refuse(`context 1 is the bot's DM; channel '${given}' is in a server`);
    if (context === 2 && install !== 'user') refuse(`a private channel (context 2) reaches only a user install; give install: 'user', not '${install}'`);
    if (context === 2 && given !== undefined) refuse(`context 2 happens in the group DM (ids.groupDm), not in channel '${given}'`);
    if (given === 'gallery') refuse(`'gallery' is a forum: it holds posts, not messages; an interaction happens in a post (give its thread id as channelId)`);
    let byId: Json | undefined;
    if (ctx.channelId !== undefined) {
      if (given !== undefined) refuse(`give channel or channelId, not both`);
      if (context !== 0) refuse(`channelId names a channel of the bot's server: context 0, not ${context}`);
      byId = deletedChannelIds.has(ctx.channelId) ? undefined : channelObject(world, ctx.channelId);
      if (!byId || byId.guild_id !== world.guild) refuse(`no channel ${ctx.channelId} in the bot's server${deletedChannelIds.has(ctx.channelId) ? ' (it was deleted)' : ''}`);
      if (byId?.type === 4 || byId?.type === 15) refuse(`channel ${ctx.channelId} is a ${byId.type === 4 ? 'category' : 'forum'}; nothing happens in it but in its channels or posts`);
    }
    const scope: Scope = context === 1 ? 'dm' : context === 2 ? 'groupDm' : install === 'user' && given === undefined && byId === undefined ? 'foreign' : 'guild';
    const userId = String(world.users[userKey].id);
    const inServer = scope === 'guild' || scope === 'foreign';
    if (ctx.roles !== undefined && !inServer) refuse(`roles belong to a server member; ${scope === 'dm' ? 'the bot\'s DM' : 'a group DM'} has none`);
    const table: Partial<Record<RoleKey, Json>> = scope === 'foreign' ? world.foreign.roles : world.roles;
    const server = scope === 'foreign' ? 'the foreign server' : 'the bot\'s server';
    let roles: string[] = [];
    if (ctx.roles !== undefined) roles = memberRoleIds(ctx.roles, table, server);
    else if (scope === 'guild') roles = [...(world.members[userKey].roles as string[])];
    let channel: Json;
    if (scope === 'guild') channel = byId ?? world.channels[(given ?? 'text') as Exclude<ChannelKind, 'dm'>];
    else if (scope === 'foreign') channel = world.foreign.channel;
    else if (scope === 'dm') channel = world.dms[userKey];
    else channel = world.groupDm;
    // Channels without overwrites keep the plain sum of the roles (what the fake always sent).
    const overwritten = scope === 'guild' && hasOverwrites(world, channel);
    const permissions =
      ctx.permissions ?? (overwritten ? applyOverwrites(world, BigInt(permissionsOf(table, roles)), channel, roles, userId).toString() : permissionsOf(table, roles));
    const owners: Record<string, string> = {};
    if (install !== 'user') owners['0'] = scope === 'guild' ? world.guild : '0';
    if (install !== 'guild') owners['1'] = authorizer ?? userId;
    const appPermissions =
      scope === 'guild' ? (overwritten ? botPermissionsIn(channel).toString() : BOT_PERMISSIONS) : scope === 'dm' ? BOT_DM_APP_PERMISSIONS : EXTERNAL_APP_PERMISSIONS;
    return {
      scope,
      kind: scope === 'guild' ? (byId ? channelKindOf(world, String(byId.id)) : (given ?? 'text')) : scope === 'dm' ? 'dm' : undefined,
      context,
      install,
      userKey,
      channel,
      roles,
      permissions,
      appPermissions,
      owners,
      locale: ctx.locale ?? 'en-US',
      limit: ctx.attachmentSizeLimit ?? DEFAULT_ATTACHMENT_SIZE_LIMIT,
    };
  }

  /** The bot's server speaks `world.guildLocale`; the foreign server stays English. */
  const guildLocaleOf = (guildId: string): string => (guildId === world.guild ? world.guildLocale : 'en-US');

  function interactionPayload(type: number, data: Json, r: Place, extra: Json = {}): InteractionState {
    const id = snowflake(now());
    const tokenValue = interactionToken(id);
    const user = publicUser(world.users[r.userKey]);
    const guildId = r.scope === 'guild' ? world.guild : r.scope === 'foreign' ? world.foreign.guild : undefined;
    let channel: Json;
    if (r.scope === 'guild' || r.scope === 'foreign') {
      // Threads carry no nsfw flag of their own on Discord: age restriction comes from the parent.
      channel = { ...clone(r.channel), ...(r.channel.type === 11 ? { nsfw: false } : {}), permissions: r.permissions };
    } else if (r.scope === 'dm') {
      channel = { id: r.channel.id, type: 1, last_message_id: null, flags: 0, recipients: [user] };
    } else {
      const others = (r.channel.recipients as Json[]).filter((u) => u.id !== user.id).map(publicUser);
      channel = { ...clone(r.channel), recipients: others };
    }
    let memberPayload: Json | undefined;
    if (r.scope === 'guild') memberPayload = { ...clone(world.members[r.userKey]), roles: [...r.roles], user, permissions: r.permissions };
    else if (r.scope === 'foreign') memberPayload = { ...member(user, [...r.roles], world.foreign.createdAt + 200 * 24 * 3600 * 1000), permissions: r.permissions };
    const payload: Json = {
      id,
      application_id: world.application,
      type,
      data,
      ...(guildId !== undefined ? { guild_id: guildId, guild: { id: guildId, locale: guildLocaleOf(guildId), features: [] } } : {}),
      channel_id: r.channel.id,
      channel,
      ...(memberPayload ? { member: memberPayload } : { user }),
      token: tokenValue,
      version: 1,
      app_permissions: r.appPermissions,
      locale: r.locale,
      ...(guildId !== undefined ? { guild_locale: guildLocaleOf(guildId) } : {}),
      entitlements: [],
      entitlement_sku_ids: [],
      authorizing_integration_owners: { ...r.owners },
      context: r.context,
      attachment_size_limit: r.limit,
      ...extra,
    };
    const userInstallOnly = !('0' in r.owners);
    const state: InteractionState = {
      id,
      token: tokenValue,
      type,
      createdAt: now(),
      channelId: String(r.channel.id),
      userKey: r.userKey,
      place: r,
      userInstallOnly,
      followUpCount: 0,
      forceEphemeral: userInstallOnly && memberPayload !== undefined && (BigInt(r.permissions) & P.UseExternalApps) === 0n,
      attachmentSizeLimit: r.limit,
      payload,
      attachments: {},
      callbackType: undefined,
      originalMessageId: undefined,
      componentMessageId: undefined,
    };
    interactions.set(id, state);
    byToken.set(tokenValue, state);
    return state;
  }

  /** Files a record under its interaction: `/interactions/{id}/...`, or `/webhooks/{app}/{token}...` of a known token. */
  function indexByInteraction(record: RecordedRequest, segments: string[]): void {
    const [head, first = '', second = ''] = segments;
    let id: string | undefined;
    if (head === 'interactions' && segments.length > 2) id = first;
    else if (head === 'webhooks' && first === world.application) id = byToken.get(second)?.id;
    if (id === undefined) return;
    let list = requestsByInteraction.get(id);
    if (!list) requestsByInteraction.set(id, (list = []));
    list.push(record);
  }

  function handleFor(state: InteractionState): InteractionHandle {
    const mine = (): RecordedRequest[] => [...(requestsByInteraction.get(state.id) ?? [])];
    return {
      id: state.id,
      token: state.token,
      attachments: clone(state.attachments) as unknown as Record<string, ResolvedAttachment>,
      requests: mine,
      callback: (timeoutMs = 15_000) =>
        waitFor(() => mine().find((r) => r.path.endsWith('/callback')), timeoutMs, `the callback of interaction ${state.id}`),
      originalEdit: (predicate = () => true, timeoutMs = 15_000) =>
        waitFor(
          () => mine().find((r) => r.method === 'PATCH' && r.path.endsWith('/messages/@original') && predicate(r)),
          timeoutMs,
          `an edit of the original response of interaction ${state.id}`,
        ),
      followUps: () => mine().filter((r) => r.method === 'POST' && r.path === `/webhooks/${world.application}/${state.token}`),
      message: (predicate = () => true, timeoutMs = 15_000) =>
        waitFor(
          () => {
            const id = state.originalMessageId;
            if (id === undefined) return undefined;
            if (deletedIds.has(id)) throw new Error(`fake Discord: the original response of interaction ${state.id} (message ${id}) was deleted`);
            const message = messages.get(id);
            if (!message || (Number(message.flags ?? 0) & FLAG_LOADING) !== 0) return undefined;
            const copy = clone(message);
            return predicate(copy) ? copy : undefined;
          },
          timeoutMs,
          `the original response of interaction ${state.id}`,
        ),
    };
  }

  async function deliver(state: InteractionState): Promise<InteractionHandle> {
    const written = gateway.dispatch('INTERACTION_CREATE', state.payload);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('fake Discord: INTERACTION_CREATE not delivered within 5 s (gateway down?)')), 5_000);
    });
    try {
      await Promise.race([written, timeout]);
    } finally {
      clearTimeout(timer);
    }
    changed();
    return handleFor(state);
  }

  /**
   * The registered command a user can run at `place`. A user install sees only global commands
   * (guild commands are never user-installable), and only those whose `integration_types` and
   * `contexts` admit it. Guild installs keep the fake's older leniency: `contexts` is not checked.
   */
  function findCommand(name: string, place: Place, type = 1): Json {
    const viaUser = place.install !== 'guild';
    const all = viaUser ? globalCommands : [...globalCommands, ...(guildCommands.get(world.guild) ?? [])];
    const command = all.find((c) => c.name === name && c.type === type);
    if (!command) {
      const known = all.map((c) => String(c.name)).join(', ') || 'none';
      const which = viaUser ? 'global ' : '';
      throw new Error(`fake Discord: /${name} is not registered as a ${which}command (registered: ${known}); the bot must register its commands first`);
    }
    if (viaUser) {
      const types = Array.isArray(command.integration_types) ? command.integration_types : [0];
      const needed = place.install === 'both' ? [0, 1] : [1];
      if (!needed.every((t) => types.includes(t))) {
        throw new Error(`fake Discord: /${name} has integration_types ${JSON.stringify(types)}; install '${place.install}' needs ${JSON.stringify(needed)}`);
      }
      const contexts = Array.isArray(command.contexts) ? command.contexts : null;
      if (contexts !== null && !contexts.includes(place.context)) {
        throw new Error(`fake Discord: /${name} has contexts ${JSON.stringify(contexts)}; Discord offers it nowhere in context ${place.context}`);
      }
    }
    return command;
  }

  const OPTION_TYPE_NAMES: Record<number, string> = {
    1: 'SUB_COMMAND', 2: 'SUB_COMMAND_GROUP', 3: 'STRING', 4: 'INTEGER', 5: 'BOOLEAN', 6: 'USER',
    7: 'CHANNEL', 8: 'ROLE', 9: 'MENTIONABLE', 10: 'NUMBER', 11: 'ATTACHMENT',
  };

  function isUpload(value: OptionValue): value is Upload {
    return typeof value === 'object' && value !== null && ('file' in value || 'url' in value);
  }

  /**
   * The options as Discord sends them, wrapped in their subcommand (group), and what it
   * resolves beside them. Autocomplete (`focused` set) resolves nothing, as on Discord: a
   * USER option carries its id only, an ATTACHMENT option a fresh attachment id, nothing uploaded.
   */
  async function buildOptions(
    command: Json,
    values: Record<string, OptionValue>,
    subcommand: string | undefined,
    focused: string | undefined,
    place: Place,
  ): Promise<{ options: Json[]; resolved: Json | undefined; attachments: Record<string, Json> }> {
    const channelId = String(place.channel.id);
    let defs = Array.isArray(command.options) ? command.options.filter(isObject) : [];
    const wrap: Array<(inner: Json[]) => Json[]> = [];
    if (subcommand !== undefined) {
      for (const part of subcommand.split(' ')) {
        const def = defs.find((d) => d.name === part && (d.type === 1 || d.type === 2));
        if (!def) throw new Error(`fake Discord: /${String(command.name)} has no subcommand "${part}"`);
        wrap.push((inner) => [{ type: def.type, name: part, options: inner }]);
        defs = Array.isArray(def.options) ? def.options.filter(isObject) : [];
      }
    }
    const users: Json = {};
    const members: Json = {};
    const channels: Json = {};
    const roles: Json = {};
    const attachments: Record<string, Json> = {};
    const byOption: Record<string, Json> = {};
    let options: Json[] = [];
    for (const [name, value] of Object.entries(values)) {
      const def = defs.find((d) => d.name === name);
      if (!def) {
        const known = defs.map((d) => String(d.name)).join(', ') || 'none';
        throw new Error(`fake Discord: /${String(command.name)} has no option "${name}" (options: ${known})`);
      }
      const type = Number(def.type);
      const isFocused = focused === name;
      const fail = (): never => {
        const shown = isUpload(value) ? 'an upload' : JSON.stringify(value);
        throw new Error(`fake Discord: option "${name}" of /${String(command.name)} is ${OPTION_TYPE_NAMES[type] ?? type}, got ${shown}`);
      };
      if ((type === 11) !== isUpload(value)) fail();
      if (type === 11 && isFocused) throw new Error(`fake Discord: option "${name}" of /${String(command.name)} is an ATTACHMENT, which Discord never autocompletes`);
      let sent: string | number | boolean;
      if (isUpload(value)) {
        if (focused === undefined) {
          const attachment = await optionAttachment(name, channelId, value);
          sent = String(attachment.id);
          attachments[sent] = attachment;
          byOption[name] = attachment;
        } else {
          sent = snowflake(now());
        }
        options.push({ name, type, value: sent });
        continue;
      }
      sent = value;
      // Autocomplete sends what the user has typed so far, unvalidated.
      if (!focused) {
        if (type === 3 && typeof value !== 'string') fail();
        if (type === 4 && !(typeof value === 'number' && Number.isInteger(value))) fail();
        if (type === 10 && typeof value !== 'number') fail();
        if (type === 5 && typeof value !== 'boolean') fail();
      }
      if (type === 6) {
        const key = (Object.keys(world.users) as UserKey[]).find((k) => k === value || world.users[k].id === value);
        if (!key) fail();
        const k = key as UserKey;
        sent = String(world.users[k].id);
        users[sent] = publicUser(world.users[k]);
        if (place.scope === 'foreign') {
          // Nobody holds a role in the foreign server.
          const { user: _u, ...other } = member(world.users[k], [], world.foreign.createdAt + 300 * 24 * 3600 * 1000);
          members[sent] = { ...other, permissions: MEMBER_PERMISSIONS };
        } else if (place.scope !== 'groupDm') {
          const { user: _u, ...other } = world.members[k];
          members[sent] = { ...other, permissions: permissionsOf(world.roles, other.roles as string[]) };
        }
      } else if (type === 7) {
        if (place.scope === 'foreign' || place.scope === 'groupDm') {
          throw new Error(`fake Discord: CHANNEL options outside the bot's server and DM are not supported by the fake yet`);
        }
        const kind = (Object.keys(ids.channels) as ChannelKind[]).find((k) => k === value || ids.channels[k] === value);
        if (!kind || kind === 'dm') fail();
        const ch = world.channels[kind as Exclude<ChannelKind, 'dm'>];
        sent = String(ch.id);
        channels[sent] = { id: ch.id, name: ch.name, type: ch.type, permissions: MEMBER_PERMISSIONS, ...(ch.type === 11 ? { parent_id: ch.parent_id, thread_metadata: ch.thread_metadata } : { nsfw: ch.nsfw }) };
      } else if (type === 8 || type === 9) {
        if (place.scope !== 'guild') throw new Error(`fake Discord: ${OPTION_TYPE_NAMES[type] ?? type} options are supported in the bot's server only`);
        // A role by key ('artists'), name or id; a MENTIONABLE may also name a user, resolved as for USER.
        const roleKey = (Object.keys(world.roles) as RoleKey[]).find(
          (k) => k === value || String(world.roles[k].id) === value || String(world.roles[k].name).toLowerCase() === String(value).toLowerCase(),
        );
        const userKey = type === 9 ? (Object.keys(world.users) as UserKey[]).find((k) => k === value || world.users[k].id === value) : undefined;
        if (roleKey && roleKey !== 'everyone') {
          sent = String(world.roles[roleKey].id);
          roles[sent] = clone(world.roles[roleKey]);
        } else if (userKey) {
          sent = String(world.users[userKey].id);
          users[sent] = publicUser(world.users[userKey]);
          const { user: _u, ...other } = world.members[userKey];
          members[sent] = { ...other, permissions: permissionsOf(world.roles, other.roles as string[]) };
        } else fail();
      }
      options.push({ name, type, value: sent, ...(isFocused ? { focused: true } : {}) });
    }
    for (const w of wrap.reverse()) options = w(options);
    const resolved: Json = {};
    if (Object.keys(users).length > 0) Object.assign(resolved, { users, ...(Object.keys(members).length > 0 ? { members } : {}) });
    if (Object.keys(channels).length > 0) resolved.channels = channels;
    if (Object.keys(roles).length > 0) resolved.roles = roles;
    if (Object.keys(attachments).length > 0) resolved.attachments = attachments;
    const sendResolved = focused === undefined && Object.keys(resolved).length > 0;
    return { options, resolved: sendResolved ? resolved : undefined, attachments: byOption };
  }

  async function commandData(
    name: string,
    values: Record<string, OptionValue>,
    subcommand: string | undefined,
    focused: string | undefined,
    place: Place,
  ): Promise<{ data: Json; attachments: Record<string, Json> }> {
    const command = findCommand(name, place);
    const { options, resolved, attachments } = await buildOptions(command, values, subcommand, focused, place);
    const data: Json = {
      id: command.id,
      name,
      type: 1,
      ...(command.guild_id ? { guild_id: command.guild_id } : {}),
      ...(options.length > 0 ? { options } : {}),
      ...(resolved ? { resolved } : {}),
    };
    return { data, attachments };
  }

  /**
   * The context of an interaction on a message: a stored message is in a known channel, so
   * without an explicit `ctx.channel` (or `ctx.context`) the interaction happens there (in a DM,
   * its owner's; in the foreign server or the group DM, through a user install). Without
   * `ctx.install`, the installation is the one that authorised the interaction the message
   * answered, as Discord carries it over to components on that message.
   */
  function onMessage<C extends InteractionContext>(message: { id: string }, ctx: C): C {
    if (deletedIds.has(message.id)) {
      throw new Error(`fake Discord: message ${message.id} was deleted; Discord delivers no interaction on a deleted message`);
    }
    const stored = messages.get(message.id);
    if (!stored) return ctx;
    const meta = isObject(stored.interaction_metadata) ? stored.interaction_metadata : undefined;
    const owners = meta && isObject(meta.authorizing_integration_owners) ? meta.authorizing_integration_owners : {};
    const inherited: InstallKind | undefined = '1' in owners ? ('0' in owners ? 'both' : 'user') : undefined;
    const next: C = ctx.install === undefined && inherited !== undefined ? { ...ctx, install: inherited } : ctx;
    if (ctx.channel !== undefined || ctx.channelId !== undefined || ctx.context !== undefined) return next;
    const channelId = String(stored.channel_id);
    if (channelId === ids.foreignChannel || channelId === ids.groupDm) {
      if ((next.install ?? 'guild') !== 'user') {
        throw new Error(`fake Discord: message ${message.id} is where only a user install reaches (install: 'user'), not '${next.install ?? 'guild'}'`);
      }
      return { ...next, context: channelId === ids.groupDm ? 2 : 0 };
    }
    const kind = channelKindOf(world, channelId);
    // A channel no kind names (a forum post created at run time): by id.
    if (kind === undefined) return ctx.channelId !== undefined || !channelObject(world, channelId) ? next : { ...next, channelId };
    if (kind !== 'dm') return { ...next, channel: kind };
    const owner = (Object.keys(world.dms) as UserKey[]).find((k) => world.dms[k].id === channelId);
    return { ...next, channel: kind, ...(ctx.user === undefined && owner ? { user: owner } : {}) };
  }

  /** The user whose install authorised the interaction a stored message answers (key "1" of its metadata). */
  function authorizerOf(message: { id: string }): string | undefined {
    const meta = messages.get(message.id)?.interaction_metadata;
    const owners = isObject(meta) && isObject(meta.authorizing_integration_owners) ? meta.authorizing_integration_owners : {};
    return typeof owners['1'] === 'string' ? owners['1'] : undefined;
  }

  function componentMessage(message: { id: string; content?: string; components?: unknown[]; embeds?: unknown[]; attachments?: unknown[] }, channelId: string): Json {
    const stored = messages.get(message.id);
    const base: Json = stored
      ? clone(stored)
      : {
          type: 0,
          content: '',
          mentions: [],
          mention_roles: [],
          attachments: [],
          embeds: [],
          timestamp: new Date(now()).toISOString(),
          edited_timestamp: null,
          flags: 0,
          components: [],
          id: message.id,
          channel_id: channelId,
          author: publicUser(world.botUser),
          pinned: false,
          mention_everyone: false,
          tts: false,
        };
    for (const key of ['content', 'components', 'embeds', 'attachments'] as const) {
      if (message[key] !== undefined) base[key] = clone(message[key]);
    }
    if (!stored) messages.set(message.id, clone(base));
    return base;
  }

  /** Mirrors the layout of the modal the bot showed: Label (type 18) wrappers or legacy action rows. */
  function modalComponents(customId: string, fields: Record<string, string>): Json[] {
    const modal = modals.get(customId)?.data;
    const shown = modal && Array.isArray(modal.components) ? modal.components.filter(isObject) : [];
    let componentId = 1;
    return Object.entries(fields).map(([fieldId, value]) => {
      const input = { type: 4, id: 0, custom_id: fieldId, value };
      const row = shown.find((c) =>
        (Array.isArray(c.components) && c.components.some((i) => isObject(i) && i.custom_id === fieldId)) ||
        (isObject(c.component) && c.component.custom_id === fieldId),
      );
      const wrapperId = componentId++;
      input.id = componentId++;
      if (row?.type === 1) return { type: 1, id: wrapperId, components: [input] };
      return { type: 18, id: wrapperId, component: input };
    });
  }

  const fake: FakeDiscord = {
    apiUrl: `${baseUrl}/api`,
    cdnUrl: `${baseUrl}/cdn`,
    token,
    ids,
    requests,
    get gateway() {
      return gateway.stats;
    },
    invalidRequests: () => requests.filter((r) => r.invalid !== undefined),
    setGuildLocale: (locale) => {
      world.guildLocale = locale;
    },
    commands: (scope = {}) => clone(scope.guildId === undefined ? globalCommands : (guildCommands.get(scope.guildId) ?? [])),
    commandWrites: () =>
      requests.filter((r) => r.method !== 'GET' && /^\/applications\/[^/]+(\/guilds\/[^/]+)?\/commands(\/[^/]+)?$/.test(r.path)),
    ready: (timeoutMs = 30_000) => waitFor(() => readyResolved || undefined, timeoutMs, 'a client to IDENTIFY and get READY + GUILD_CREATE').then(() => undefined),
    async slashCommand(name, values = {}, ctx = {}) {
      const place = resolveCtx(ctx);
      const { data, attachments } = await commandData(name, values, ctx.subcommand, undefined, place);
      const state = interactionPayload(2, data, place);
      state.attachments = attachments;
      return deliver(state);
    },
    async autocomplete(name, values, focused, ctx = {}) {
      if (!(focused in values)) throw new Error(`fake Discord: focused option "${focused}" has no value in ${Object.keys(values).join(', ') || 'no options'}`);
      const place = resolveCtx(ctx);
      const { data } = await commandData(name, values, ctx.subcommand, focused, place);
      return deliver(interactionPayload(4, data, place));
    },
    async button(customId, message, given = {}) {
      const place = resolveCtx(onMessage(message, given), authorizerOf(message));
      const msg = componentMessage(message, String(place.channel.id));
      const state = interactionPayload(3, { custom_id: customId, component_type: 2 }, place, { message: msg });
      state.componentMessageId = message.id;
      return deliver(state);
    },
    async selectMenu(customId, values, message, given = {}) {
      const place = resolveCtx(onMessage(message, given), authorizerOf(message));
      const msg = componentMessage(message, String(place.channel.id));
      const state = interactionPayload(3, { custom_id: customId, component_type: 3, values: [...values] }, place, { message: msg });
      state.componentMessageId = message.id;
      return deliver(state);
    },
    async modalSubmit(customId, fields, given = {}) {
      let ctx: InteractionContext & { message?: { id: string } } = given.message ? onMessage(given.message, given) : given;
      // A modal shown through a user install is submitted where it was shown, unless told otherwise.
      const shownAt = modals.get(customId)?.place;
      let authorizer = given.message ? authorizerOf(given.message) : undefined;
      if (!given.message && shownAt && shownAt.install !== 'guild' && ctx.install === undefined && ctx.context === undefined && ctx.channel === undefined) {
        const where = shownAt.kind !== undefined ? { channel: shownAt.kind } : shownAt.scope === 'guild' ? { channelId: String(shownAt.channel.id) } : {};
        ctx = { ...ctx, install: shownAt.install, context: shownAt.context, ...where };
        authorizer = shownAt.owners['1'];
      }
      const place = resolveCtx(ctx, authorizer);
      const msg = ctx.message ? componentMessage(ctx.message, String(place.channel.id)) : undefined;
      const state = interactionPayload(5, { custom_id: customId, components: modalComponents(customId, fields) }, place, msg ? { message: msg } : {});
      if (ctx.message) state.componentMessageId = ctx.message.id;
      return deliver(state);
    },
    channelMessages: (channel) =>
      requests.filter((r) => {
        const m = /^\/channels\/([^/]+)\/messages$/.exec(r.path);
        const id = m?.[1] ?? '';
        return r.method === 'POST' && m !== null && (channelKindOf(world, id) === channel || id === channel);
      }),
    forumPosts: (forum = 'gallery') => {
      const forumId = forum in ids.channels ? ids.channels[forum as ChannelKind] : forum;
      return world.threads
        .filter((t) => t.parent_id === forumId)
        .map((t) => {
          const first = messages.get(String(t.id));
          return { thread: clone(t), message: first ? clone(first) : undefined };
        });
    },
    deletedChannels: () => [...deletedChannels],
    setPermissionOverwrite(kind, target, given) {
      const channel = world.channels[kind];
      const isRole = target in world.roles;
      const id = isRole ? String(world.roles[target as RoleKey].id) : String(world.users[target as UserKey].id);
      const list = (Array.isArray(channel.permission_overwrites) ? channel.permission_overwrites : []) as Json[];
      const rest = list.filter((o) => o.id !== id);
      if (given) rest.push({ id, type: isRole ? 0 : 1, allow: BigInt(given.allow ?? 0n).toString(), deny: BigInt(given.deny ?? 0n).toString() });
      channel.permission_overwrites = rest;
      dispatchIfConnected('CHANNEL_UPDATE', clone(channel));
      changed();
    },
    message: (id) => {
      const stored = messages.get(id);
      return stored ? clone(stored) : undefined;
    },
    deletedMessages: () => [...deleted],
    cdnFetches: () => [...cdnFetches],
    fail(match, fault, times = 1) {
      faults.push({ match, fault, remaining: times });
    },
    hold(predicate) {
      let arrived = (): void => undefined;
      let release = (): void => undefined;
      const reached = new Promise<void>((resolve) => (arrived = resolve));
      const released = new Promise<void>((resolve) => (release = resolve));
      holds.push({ predicate, arrived, released });
      return { reached, release };
    },
    waitFor: (probe, timeoutMs) => waitFor(probe, timeoutMs),
    disconnectGateway: () => gateway.disconnect(),
    takeGatewayDown: () => gateway.takeDown(),
    async close() {
      gateway.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}
