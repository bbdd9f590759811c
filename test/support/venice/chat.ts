/**
 * `POST /chat/completions` for the simulator: the text-model catalogue (`GET /models?type=text`),
 * the checks of a request (the spec's `ChatCompletionRequest`, the model, its vision
 * capabilities) and the answer (the spec's ChatCompletion response). The texts of refusals the
 * spec does not give are the simulator's own, each naming what was wrong.
 *
 * Choices where Venice's behaviour is unknown or bounded:
 * - No streaming: `stream: true` is a 400 that says so (the simulator is not a source of SSE).
 * - Image parts (`image_url`) take a base64 `data:` URL or an http(s) URL fetched only from
 *   127.0.0.1; the bytes must be a PNG, JPEG, WebP or GIF that decodes. A model whose
 *   `capabilities.supportsVision` is false refuses image parts with a 400; one without
 *   `supportsMultipleImages` refuses a second image, one with `maxImages` more than that.
 * - Tokens are counted as a quarter of the characters (rounded up) and 258 per image; the answer is
 *   cut at `max_completion_tokens` (or `max_tokens`) with `finish_reason: 'length'`.
 * - Audio, video and file parts pass the schema and are not looked at; tools and response
 *   formats are accepted and ignored (the answer is always plain text).
 */
import { issuesFromAjv, type ValidationIssue } from './errors.js';
import { refuse, invalid, type Checked } from './checks.js';
import type { ImageSource } from './editing.js';
import { checkAgainstSpec, loadVeniceSpec, specPointers } from './spec.js';

export interface UsdDiem {
  usd: number;
  diem: number;
}

/** `model_spec.capabilities` of a text model: every field the spec requires, nothing else (it allows nothing else). */
export interface SimTextCapabilities {
  optimizedForCode: boolean;
  quantization: 'fp4' | 'fp8' | 'fp16' | 'bf16' | 'int8' | 'int4' | 'not-available';
  supportsFunctionCalling: boolean;
  supportsAudioInput: boolean;
  supportsReasoning: boolean;
  supportsReasoningEffort: boolean;
  supportsResponseSchema: boolean;
  supportsMultipleImages: boolean;
  /** Only with `supportsMultipleImages`. */
  maxImages?: number;
  supportsVision: boolean;
  supportsVideoInput: boolean;
  supportsWebSearch: boolean;
  supportsLogProbs: boolean;
  supportsTeeAttestation: boolean;
  supportsE2EE: boolean;
  supportsXSearch: boolean;
}

export interface SimTextModel {
  id: string;
  type: 'text';
  object: 'model';
  owned_by: 'venice.ai';
  created: number;
  context_length: number;
  model_spec: {
    name: string;
    description: string;
    modelSource?: string;
    privacy: 'private' | 'anonymized';
    offline: boolean;
    beta?: boolean;
    traits: string[];
    availableContextTokens: number;
    maxCompletionTokens: number;
    capabilities: SimTextCapabilities;
    constraints: { temperature: { default: number }; top_p: { default: number } };
    /** Per million tokens. */
    pricing: { input: UsdDiem; output: UsdDiem };
  };
}

const usd = (value: number): UsdDiem => ({ usd: value, diem: value });

const noCapabilities: SimTextCapabilities = {
  optimizedForCode: false,
  quantization: 'fp8',
  supportsFunctionCalling: true,
  supportsAudioInput: false,
  supportsReasoning: false,
  supportsReasoningEffort: false,
  supportsResponseSchema: true,
  supportsMultipleImages: false,
  supportsVision: false,
  supportsVideoInput: false,
  supportsWebSearch: true,
  supportsLogProbs: false,
  supportsTeeAttestation: false,
  supportsE2EE: false,
  supportsXSearch: false,
};

function textModel(
  id: string,
  name: string,
  created: number,
  context: number,
  prices: [number, number],
  extra: { traits?: string[]; privacy?: 'private' | 'anonymized'; capabilities?: Partial<SimTextCapabilities>; description: string; offline?: boolean },
): SimTextModel {
  return {
    id,
    type: 'text',
    object: 'model',
    owned_by: 'venice.ai',
    created,
    context_length: context,
    model_spec: {
      name,
      description: extra.description,
      privacy: extra.privacy ?? 'private',
      offline: extra.offline ?? false,
      traits: extra.traits ?? [],
      availableContextTokens: context,
      maxCompletionTokens: Math.min(32_768, context),
      capabilities: { ...noCapabilities, ...extra.capabilities },
      constraints: { temperature: { default: 0.7 }, top_p: { default: 0.9 } },
      pricing: { input: usd(prices[0]), output: usd(prices[1]) },
    },
  };
}

/**
 * `GET /models?type=text`. Ids and names from Venice's docs (the vision guide uses
 * qwen3-vl-235b-a22b; Mistral 3.1 24B is listed with vision); context sizes and prices plausible.
 */
export const simulatorTextModels: readonly SimTextModel[] = [
  textModel('zai-org-glm-5', 'GLM 5', 1770000000, 202_752, [1, 3.2], {
    traits: ['default'],
    description: 'Flagship model for deep reasoning and production agents.',
    capabilities: { supportsReasoning: true },
  }),
  textModel('venice-uncensored', 'Venice Uncensored 1.1', 1742262554, 32_768, [0.2, 0.9], {
    traits: ['most_uncensored'],
    description: 'Unfiltered generation.',
    capabilities: { supportsFunctionCalling: false, supportsResponseSchema: false, supportsWebSearch: false },
  }),
  textModel('qwen3-vl-235b-a22b', 'Qwen3 VL 235B', 1760000000, 131_072, [0.25, 1.5], {
    traits: ['default_vision'],
    description: 'Vision-language model for image understanding.',
    capabilities: { supportsVision: true, supportsMultipleImages: true, maxImages: 4 },
  }),
  textModel('mistral-31-24b', 'Mistral 3.1 24B', 1742262554, 131_072, [0.5, 2], {
    description: 'Vision and tools.',
    capabilities: { supportsVision: true },
  }),
  textModel('llama-3.2-3b', 'Llama 3.2 3B', 1727966436, 131_072, [0.15, 0.6], {
    traits: ['fastest'],
    description: 'Compact and efficient model for quick responses and lighter workloads.',
    capabilities: { quantization: 'fp16', supportsLogProbs: true },
  }),
];

const requestPointer = specPointers.chatCompletionRequest;

interface SpecBranches {
  /** Branch index of `messages.items.anyOf` by role. */
  roles: Map<string, number>;
  /** Branch index of a user message's content parts (`oneOf`) by part type. */
  userParts: Map<string, number>;
}

let branches: SpecBranches | undefined;

type Schema = { properties?: Record<string, Schema>; anyOf?: Schema[]; oneOf?: Schema[]; items?: Schema; enum?: unknown[] };

/** Reads which union branch is which role / part type from the spec itself, once. */
function specBranches(): SpecBranches {
  if (branches) return branches;
  const spec = loadVeniceSpec() as { components: { schemas: Record<string, Schema> } };
  const messages = spec.components.schemas.ChatCompletionRequest?.properties?.messages?.items?.anyOf ?? [];
  const roles = new Map<string, number>();
  messages.forEach((branch, index) => {
    const role = branch.properties?.role?.enum?.[0];
    if (typeof role === 'string') roles.set(role, index);
  });
  const userIndex = roles.get('user') ?? 0;
  const parts = messages[userIndex]?.properties?.content?.anyOf?.find((b) => b.items)?.items?.oneOf ?? [];
  const userParts = new Map<string, number>();
  parts.forEach((branch, index) => {
    const type = branch.properties?.type?.enum?.[0];
    if (typeof type === 'string') userParts.set(type, index);
  });
  branches = { roles, userParts };
  return branches;
}

const prefixed = (prefix: (string | number)[], issues: ValidationIssue[]): ValidationIssue[] => issues.map((i) => ({ ...i, path: [...prefix, ...i.path] }));

/**
 * The schema's verdict, reported as zod would: `messages` is a union by role and a user's
 * content parts a union by type, so each message is judged against the branch its role picks
 * and each part against the branch its type picks, not against every branch at once.
 */
function schemaIssues(raw: unknown): ValidationIssue[] {
  const errors = checkAgainstSpec(requestPointer, raw);
  if (errors.length === 0) return [];
  const issues = issuesFromAjv(
    errors.filter((e) => !e.instancePath.startsWith('/messages/')),
    raw,
  );
  const messages = (raw as { messages?: unknown }).messages;
  if (!Array.isArray(messages)) return issues;
  const { roles, userParts } = specBranches();
  const messageBranch = (index: number): string => `${requestPointer}/properties/messages/items/anyOf/${index}`;
  messages.forEach((message: unknown, i) => {
    const role = typeof message === 'object' && message !== null ? (message as Record<string, unknown>).role : undefined;
    const branch = typeof role === 'string' ? roles.get(role) : undefined;
    if (branch === undefined) {
      const expected = [...roles.keys()].map((r) => `'${r}'`).join(' | ');
      issues.push({ code: 'invalid_union_discriminator', path: ['messages', i, 'role'], message: `Invalid discriminator value. Expected ${expected}` });
      return;
    }
    const fields = message as Record<string, unknown>;
    const content = fields.content;
    if (role !== 'user' || !Array.isArray(content)) {
      issues.push(...prefixed(['messages', i], issuesFromAjv(checkAgainstSpec(messageBranch(branch), message), message)));
      return;
    }
    // The message without its parts, then each part against its own branch.
    issues.push(...prefixed(['messages', i], issuesFromAjv(checkAgainstSpec(messageBranch(branch), { ...fields, content: 'parts' }), message)));
    content.forEach((part: unknown, j) => {
      const type = typeof part === 'object' && part !== null ? (part as Record<string, unknown>).type : undefined;
      const partBranch = typeof type === 'string' ? userParts.get(type) : undefined;
      if (partBranch === undefined) {
        const expected = [...userParts.keys()].map((t) => `'${t}'`).join(' | ');
        issues.push({ code: 'invalid_union_discriminator', path: ['messages', i, 'content', j, 'type'], message: `Invalid discriminator value. Expected ${expected}` });
        return;
      }
      const pointer = `${messageBranch(branch)}/properties/content/anyOf/1/items/oneOf/${partBranch}`;
      issues.push(...prefixed(['messages', i, 'content', j], issuesFromAjv(checkAgainstSpec(pointer, part), part)));
    });
  });
  // Every branch fits yet the union failed (should not happen): fall back to ajv's own report.
  return issues.length > 0 ? issues : issuesFromAjv(errors, raw);
}

interface ChatBody {
  model: string;
  messages: Array<{ role: string; content?: unknown }>;
  n?: number;
  max_tokens?: number;
  max_completion_tokens?: number;
  stream?: boolean;
  venice_parameters?: Record<string, unknown>;
}

/** A chat request Venice would accept, reduced to what the simulator needs to answer it. */
export interface ChatPlan {
  model: SimTextModel;
  body: ChatBody;
  /** The image parts in request order, each where its url is. */
  sources: ImageSource[];
  /** Every text of every message, for counting tokens. */
  promptText: string;
  /** The text parts (or string content) of the last user message. */
  lastUserText: string;
  n: number;
  /** Completion tokens allowed, when the request caps them (values of 0 or less are ignored, as the spec says). */
  maxTokens: number | undefined;
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .filter((p): p is { type: 'text'; text: string } => typeof p === 'object' && p !== null && (p as { type?: unknown }).type === 'text')
    .map((p) => p.text)
    .join('\n');
}

/** Where an image part's url points: decoded bytes of a base64 data URL, or a URL to fetch. */
function imageSource(path: (string | number)[], url: string): Checked<ImageSource> {
  if (/^https?:\/\//i.test(url)) return { ok: true, value: { path, url } };
  const data = /^data:([^;,]*)((?:;[^;,]*)*);base64,/i.exec(url);
  if (!data) return invalid([{ code: 'custom', path, message: 'Invalid image_url: expected a base64 data: URL or an http(s) URL' }]);
  const mime = (data[1] ?? '').toLowerCase();
  if (!mime.startsWith('image/')) return invalid([{ code: 'custom', path, message: `Invalid image_url: the data URL is ${mime || 'untyped'}, not an image` }]);
  const base64 = url.slice(data[0].length);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || base64.length === 0) return invalid([{ code: 'custom', path, message: 'Invalid image_url: the data URL is not valid base64' }]);
  return { ok: true, value: { path, bytes: Buffer.from(base64, 'base64') } };
}

/** Judges a `POST /chat/completions` body against the spec, the model and its capabilities. */
export function checkChatRequest(models: readonly SimTextModel[], raw: unknown): Checked<ChatPlan> {
  const issues = schemaIssues(raw);
  if (issues.length > 0) return invalid(issues);
  const body = raw as ChatBody;
  const traits = Object.fromEntries(models.flatMap((m) => m.model_spec.traits.map((t) => [t, m.id] as const)).reverse());
  const model = models.find((m) => m.id === body.model) ?? models.find((m) => m.id === traits[body.model]);
  if (!model) return refuse(404, { error: 'Specified model not found' });
  if (model.model_spec.offline) return refuse(503, { error: `The model ${model.id} is currently offline. Please try again later.` });
  if (body.stream === true) {
    return invalid([{ code: 'custom', path: ['stream'], message: 'The Venice simulator does not stream; send stream: false or leave it out' }]);
  }
  const { capabilities } = model.model_spec;
  const sources: ImageSource[] = [];
  const refusals: ValidationIssue[] = [];
  body.messages.forEach((message, i) => {
    if (message.role !== 'user' || !Array.isArray(message.content)) return;
    (message.content as Array<{ type: string; image_url?: { url: string } }>).forEach((part, j) => {
      if (part.type !== 'image_url' || !part.image_url) return;
      if (!capabilities.supportsVision) {
        refusals.push({ code: 'custom', path: ['messages', i, 'content', j, 'type'], message: `Model ${model.id} does not support image inputs (supportsVision is false); use a vision model` });
        return;
      }
      const source = imageSource(['messages', i, 'content', j, 'image_url', 'url'], part.image_url.url);
      if (source.ok) sources.push(source.value);
      else refusals.push(...((source.refusal.body as { issues?: ValidationIssue[] }).issues ?? []));
    });
  });
  if (refusals.length > 0) return invalid(refusals);
  const limit = capabilities.supportsMultipleImages ? capabilities.maxImages : 1;
  if (limit !== undefined && sources.length > limit) {
    const extra = sources[limit]?.path ?? ['messages'];
    return invalid([{ code: 'custom', path: extra, message: `Model ${model.id} accepts at most ${limit} image${limit === 1 ? '' : 's'} per request, got ${sources.length}` }]);
  }
  const cap = body.max_completion_tokens ?? body.max_tokens;
  const lastUser = [...body.messages].reverse().find((m) => m.role === 'user');
  return {
    ok: true,
    value: {
      model,
      body,
      sources,
      promptText: body.messages.map((m) => textOf(m.content)).join('\n'),
      lastUserText: textOf(lastUser?.content),
      n: body.n !== undefined && body.n > 0 ? body.n : 1,
      maxTokens: cap !== undefined && cap > 0 ? cap : undefined,
    },
  };
}

/** An image of a chat request as the simulator read it. */
export interface ChatImage {
  bytes: Buffer;
  format: 'png' | 'jpeg' | 'webp' | 'gif';
  width: number;
  height: number;
  /** The mean colour, `#rrggbb`: the simulator's images are solid colours, so this names them. */
  colour: string;
}

/** What a test's answer function gets: the request as sent, with its images decoded. */
export interface ChatAnswerRequest {
  /** The model that answers (a trait given as `model` resolved to its model's id). */
  model: string;
  body: unknown;
  /** The text parts of the last user message, joined by newlines. */
  text: string;
  images: ChatImage[];
}

/** The assistant's text: fixed, or worked out from the request. */
export type ChatAnswer = string | ((request: ChatAnswerRequest) => string);

/** The default answer: deterministic, naming the model and each image's size and colour. */
export function defaultChatAnswer(request: ChatAnswerRequest): string {
  if (request.images.length === 0) return `Simulated answer from ${request.model} to: ${request.text.slice(0, 200)}`;
  const described = request.images.map((image, i) => `image ${i + 1} is a ${image.width}x${image.height} ${image.format} filled with ${image.colour}`);
  return `Simulated description from ${request.model}: ${described.join('; ')}.`;
}

export const tokensPerImage = 258;

export function countTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** The answer of a chat completion in the spec's shape, with the price of its tokens. */
export function chatCompletion(plan: ChatPlan, answer: string, imageCount: number, id: string): { body: Record<string, unknown>; priceUsd: number } {
  let content = answer;
  let finish: 'stop' | 'length' = 'stop';
  if (plan.maxTokens !== undefined && countTokens(content) > plan.maxTokens) {
    content = content.slice(0, plan.maxTokens * 4);
    finish = 'length';
  }
  const promptTokens = countTokens(plan.promptText) + tokensPerImage * imageCount;
  const completionTokens = countTokens(content) * plan.n;
  const { pricing } = plan.model.model_spec;
  const priceUsd = (promptTokens * pricing.input.usd + completionTokens * pricing.output.usd) / 1_000_000;
  const given = plan.body.venice_parameters ?? {};
  const body = {
    id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: plan.model.id,
    choices: Array.from({ length: plan.n }, (_, index) => ({
      index,
      message: { role: 'assistant', content, reasoning_content: null, tool_calls: [] },
      logprobs: null,
      finish_reason: finish,
      stop_reason: null,
    })),
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens, prompt_tokens_details: null },
    cost: { usd: Number(priceUsd.toFixed(8)), diem: 0 },
    prompt_logprobs: null,
    venice_parameters: {
      enable_e2ee: false,
      enable_web_search: 'off',
      enable_web_citations: false,
      enable_web_scraping: false,
      include_venice_system_prompt: given.include_venice_system_prompt !== false,
      include_search_results_in_stream: false,
      return_search_results_as_documents: false,
      strip_thinking_response: given.strip_thinking_response === true,
      disable_thinking: given.disable_thinking === true,
    },
  };
  return { body, priceUsd };
}

