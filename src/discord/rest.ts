import { REST, RESTEvents, type InternalRequest, type RESTOptions, type ResponseLike } from 'discord.js';
import { discordMultipart, multipartAware } from './multipart.js';

/** `/webhooks/{id}/{token}…`: the application's id (for an interaction) and the token. */
const WEBHOOK_ROUTE = /^\/webhooks\/(\d{17,20})\/[^/?]+/;

/**
 * discord.js's REST, with the interaction endpoints taken out of its global cap, and files
 * sent as a multipart body of their own bytes (`multipart.ts`, `withOwnMultipart` below).
 *
 * Discord's global limit (50 requests a second) binds the bot token; the interaction endpoints
 * (the callback, and the original response and follow-ups under the interaction's token) are
 * not bound to it. discord.js exempts only the callback and holds every other request to
 * `globalRequestsPerSecond`, so a busy server's queue-position edits and results used up that
 * allowance: in the benchmark's burst of 100 jobs it held every request of the bot back 73
 * times, for up to a second at once, while nothing was rate-limited on Discord's side.
 *
 * Requests under an interaction's token (`auth: false` on `/webhooks/{application}/{token}`)
 * go through a second REST of the same options without the cap; each token keeps its own
 * ordered queue and Discord's per-route limits there, and a 429 Discord marks global still
 * holds them (Discord documents no limit of that kind for them; should one come, discord.js
 * waits it out). Everything else, the bot token's, stays under the cap. A channel webhook (not an
 * interaction's) is bound to the global limit, so `isApplication` says which ids are the bot's.
 */
export class BotRest extends REST {
  readonly #interactions: REST;
  readonly #isApplication: (id: string) => boolean;

  constructor(options: Partial<RESTOptions>, isApplication: (id: string) => boolean) {
    const sending = { ...options, makeRequest: multipartAware(options.makeRequest) };
    super(sending);
    this.#isApplication = isApplication;
    this.#interactions = new REST({ ...sending, globalRequestsPerSecond: Number.POSITIVE_INFINITY });
    // Listeners subscribe to this REST: what the other one reports is told here too. (Under
    // Node, discord.js hands a Response listener the answer itself, body included, not a copy:
    // a listener must not read it.)
    this.#interactions.on(RESTEvents.RateLimited, (info) => this.emit(RESTEvents.RateLimited, info));
    this.#interactions.on(RESTEvents.InvalidRequestWarning, (info) => this.emit(RESTEvents.InvalidRequestWarning, info));
    this.#interactions.on(RESTEvents.Debug, (message) => this.emit(RESTEvents.Debug, message));
    this.#interactions.on(RESTEvents.Response, (request, response) => this.emit(RESTEvents.Response, request, response));
  }

  /** Whether a request is an interaction's, under its token: not bound to the global limit. */
  isInteractionRequest(request: Pick<InternalRequest, 'fullRoute' | 'auth'>): boolean {
    if (request.auth !== false) return false;
    const id = WEBHOOK_ROUTE.exec(request.fullRoute)?.[1];
    return id !== undefined && this.#isApplication(id);
  }

  override queueRequest(request: InternalRequest): Promise<ResponseLike> {
    const sent = withOwnMultipart(request);
    return this.isInteractionRequest(sent) ? this.#interactions.queueRequest(sent) : super.queueRequest(sent);
  }

  override setAgent(agent: Parameters<REST['setAgent']>[0]): this {
    super.setAgent(agent);
    this.#interactions.setAgent(agent);
    return this;
  }

  override clearHashSweeper(): void {
    super.clearHashSweeper();
    this.#interactions.clearHashSweeper();
  }

  override clearHandlerSweeper(): void {
    super.clearHandlerSweeper();
    this.#interactions.clearHandlerSweeper();
  }
}

/**
 * A request with files, with its body made a `MultipartBody` of the files' own bytes (sent by
 * `multipartAware`) instead of discord.js's `FormData` of copies. Stickers' form fields
 * (`appendToFormData`) and files that are not bytes keep discord.js's path.
 */
function withOwnMultipart(request: InternalRequest): InternalRequest {
  if (!request.files?.length || request.appendToFormData) return request;
  const body = discordMultipart(request.files, request.body);
  return body === undefined ? request : { ...request, files: undefined, body, passThroughBody: true };
}

/**
 * The bot's user id, from the first part of its token (base64 of the id); undefined for a
 * token not shaped so. For most applications that is also the application's id: what a process
 * without a gateway session (a worker) tells its interactions' webhooks by. Where the two
 * differ, such a process's edits simply stay under the cap.
 */
export function userIdOfToken(token: string): string | undefined {
  const first = token.split('.')[0] ?? '';
  const id = Buffer.from(first, 'base64').toString('latin1');
  return /^\d{17,20}$/.test(id) ? id : undefined;
}
