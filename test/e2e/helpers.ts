import sharp from 'sharp';
import type { FakeDiscord, InteractionHandle, Probed, RecordedRequest } from '../support/discord/fake-discord.js';
import { simulatorModels, simulatorStyles, traitsOf } from '../support/venice/catalogue.js';
import { checkGenerateRequest, checkSimpleGenerateRequest, type CatalogueView } from '../support/venice/checks.js';
import type { SimRequest, VeniceSimulator } from '../support/venice/simulator.js';

export const EPHEMERAL = 1 << 6;

export interface MessageJson {
  content?: string;
  flags?: number;
  embeds?: Array<{ description?: string; fields?: Array<{ name: string; value: string }> }>;
  allowed_mentions?: { parse?: string[] };
  components?: unknown[];
  attachments?: unknown[];
}

export const json = (r: RecordedRequest): MessageJson => (r.json ?? {}) as MessageJson;

/** The message the user finally sees in the channel: the last edit of the deferred reply. */
export async function resultOf(handle: InteractionHandle): Promise<RecordedRequest> {
  return handle.originalEdit();
}

/** Waits until the interaction ends in an ephemeral message (a follow-up, or an edit of an ephemeral defer). */
export async function ephemeralOf(handle: InteractionHandle, discordWait: <T>(probe: () => Probed<T> | Promise<Probed<T>>, ms?: number) => Promise<T>): Promise<RecordedRequest> {
  return discordWait(() =>
    handle.requests().find(
      (r) => r.method === 'POST' && /^\/webhooks\/\d+\/[^/]+$/.test(r.path) && ((json(r).flags ?? 0) & EPHEMERAL) !== 0,
    ),
  );
}

export async function imageInfo(data: Buffer): Promise<{ format: string | undefined; width: number | undefined; height: number | undefined }> {
  const meta = await sharp(data).metadata();
  return { format: meta.format, width: meta.width, height: meta.height };
}

/** A path as a failure message shows it: interaction tokens are long and say nothing. */
function shortPath(path: string): string {
  return path.replace(/^\/(webhooks\/\d+|interactions\/\d+)\/[^/]+/, '/$1/:token');
}

function describeRequest(r: RecordedRequest): string {
  return `${r.method} ${shortPath(r.path)} -> ${r.status}${r.invalid !== undefined ? ` (invalid: ${r.invalid})` : ''}`;
}

/**
 * The request, once it is sure the fake accepted it (2xx). A test that inspects a recorded
 * body proves nothing about what the user saw if Discord refused that body.
 */
export function accepted(r: RecordedRequest): RecordedRequest {
  if (r.status >= 200 && r.status < 300) return r;
  throw new Error(`fake Discord refused ${describeRequest(r)}`);
}

/** Throws, listing each one, when any request the bot sent had a body Discord's spec refuses. */
export function assertNoInvalidRequests(discord: FakeDiscord): void {
  const invalid = discord.invalidRequests();
  if (invalid.length === 0) return;
  throw new Error(`the bot sent ${invalid.length} request(s) Discord refuses:\n${invalid.map((r) => `  ${describeRequest(r)}`).join('\n')}`);
}

const defaultCatalogue: CatalogueView = { models: simulatorModels, traits: traitsOf(simulatorModels), styles: new Set(simulatorStyles) };

export interface VeniceRefusal {
  request: SimRequest;
  status: number;
  body: unknown;
}

export interface VeniceRefusalOptions {
  /** Skip the requests before this index of `venice.requests`. */
  from?: number;
  /** Judge only the requests this accepts (e.g. one prompt's). */
  match?: (request: SimRequest) => boolean;
  /** Default: the simulator's default catalogue, the one `startHarness` uses. */
  catalogue?: CatalogueView;
}

/**
 * Every generate request the simulator refuses on its own judgement (schema, then the model's
 * constraints), whatever a scripted rule answered instead: what the bot sent, not what a test
 * made Venice say.
 */
export function veniceRefusals(venice: VeniceSimulator, options: VeniceRefusalOptions = {}): VeniceRefusal[] {
  const { from = 0, match, catalogue = defaultCatalogue } = options;
  const refusals: VeniceRefusal[] = [];
  for (const request of venice.requests.slice(from)) {
    if (request.method !== 'POST' || (match && !match(request))) continue;
    const checked =
      request.path === '/image/generate'
        ? checkGenerateRequest(catalogue, request.body)
        : request.path === '/images/generations'
          ? checkSimpleGenerateRequest(catalogue, request.body)
          : undefined;
    if (checked && !checked.ok) refusals.push({ request, status: checked.refusal.status, body: checked.refusal.body });
  }
  return refusals;
}
