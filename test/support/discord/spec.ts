import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { FormatsPlugin } from 'ajv-formats';

/**
 * Request-body validation against Discord's own OpenAPI 3.1 document
 * (test/fixtures/discord-openapi.json). Schemas are compiled lazily per operation and cached
 * for the whole test process: compiling the message schemas takes a few hundred ms and every
 * fake instance needs the same ones.
 */

const SPEC_URL = new URL('../../fixtures/discord-openapi.json', import.meta.url);
const SPEC_ID = 'https://discord.com/api/v10/openapi.json';

// ajv-formats is CommonJS; under NodeNext its default import is the module object.
const addFormats = ((addFormatsModule as unknown as { default?: FormatsPlugin }).default ??
  addFormatsModule) as FormatsPlugin;

type JsonObject = Record<string, unknown>;

let spec: JsonObject | undefined;
let ajv: Ajv2020 | undefined;
const cache = new Map<string, CompiledOperation | null>();

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function loadSpec(): JsonObject {
  spec ??= JSON.parse(readFileSync(SPEC_URL, 'utf8')) as JsonObject;
  return spec;
}

/**
 * Discord's API takes 64-bit integers (permission bitfields, snowflakes typed as integers)
 * either as JSON numbers or as decimal strings, and its docs type them as strings
 * (`default_member_permissions: ?string`); JSON numbers cannot carry them exactly, which is why
 * discord.js always sends strings. The generated spec only says `integer` with a maximum
 * above 2^53, so such integer schemas also accept a decimal string within the same bounds.
 * Nothing else is relaxed.
 */
function widenInt64(node: unknown, unionBranch = false): unknown {
  if (Array.isArray(node)) return node.map((item) => widenInt64(item));
  if (!isObject(node)) return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'enum' || key === 'const' || key === 'default') out[key] = value;
    else if ((key === 'oneOf' || key === 'anyOf') && Array.isArray(value)) out[key] = value.map((item) => widenInt64(item, true));
    else out[key] = widenInt64(value);
  }
  // A union states its own alternatives (`nonce`: int64 or a string); widening a branch
  // would make a numeric string match two branches of a oneOf.
  if (unionBranch) return out;
  const types = Array.isArray(out.type) ? out.type : [out.type];
  const max = typeof out.maximum === 'number' ? out.maximum : undefined;
  const isInt64 = types.includes('integer') && (out.format === 'int64' || (max !== undefined && max > Number.MAX_SAFE_INTEGER));
  if (!isInt64) return out;
  const numberSchema: JsonObject = { ...out };
  const nullable = types.includes('null');
  const stringSchema: JsonObject = { type: 'string', pattern: '^(0|[1-9][0-9]*)$', int64Range: { minimum: out.minimum ?? null, maximum: max ?? null } };
  const variants: JsonObject[] = [numberSchema, stringSchema];
  if (nullable) variants.push({ type: 'null' });
  const annotations: JsonObject = {};
  for (const key of ['description', 'title']) if (key in out) annotations[key] = out[key];
  return { ...annotations, anyOf: variants };
}

function getAjv(): Ajv2020 {
  if (ajv) return ajv;
  // strict mode would refuse the document's vendor keywords (`x-discord-union`) and the
  // OpenAPI fields around the schemas; they carry no validation meaning.
  const instance = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  addFormats(instance);
  instance.addFormat('snowflake', /^(0|[1-9][0-9]*)$/);
  // Discord's nonce: an integer or a string of at most 25 characters; the length is checked
  // by maxLength next to the format.
  instance.addFormat('nonce', () => true);
  instance.addKeyword({ keyword: 'x-discord-union' });
  instance.addKeyword({
    keyword: 'int64Range',
    type: 'string',
    schemaType: 'object',
    validate: (range: { minimum: number | null; maximum: number | null }, data: string) => {
      // A non-numeric string is reported by the pattern next to this keyword.
      if (!/^[0-9]+$/.test(data)) return true;
      const value = BigInt(data);
      if (range.minimum !== null && value < BigInt(range.minimum)) return false;
      if (range.maximum !== null && value > BigInt(Math.round(range.maximum))) return false;
      return true;
    },
    errors: false,
  });
  const doc = loadSpec();
  const components = isObject(doc.components) ? doc.components : {};
  instance.addSchema({ $id: SPEC_ID, components: { schemas: widenInt64(components.schemas) } });
  ajv = instance;
  return instance;
}

function rewriteRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (!isObject(node)) return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    out[key] = key === '$ref' && typeof value === 'string' && value.startsWith('#/') ? `${SPEC_ID}${value}` : rewriteRefs(value);
  }
  return out;
}

let templatesByLength: Map<number, Array<{ template: string; parts: string[] }>> | undefined;

/** The spec's path templates split into segments and grouped by segment count, built once. */
function templatesOfLength(length: number): Array<{ template: string; parts: string[] }> {
  if (!templatesByLength) {
    templatesByLength = new Map();
    const paths = loadSpec().paths;
    for (const template of isObject(paths) ? Object.keys(paths) : []) {
      const parts = template.split('/');
      const group = templatesByLength.get(parts.length) ?? [];
      group.push({ template, parts });
      templatesByLength.set(parts.length, group);
    }
  }
  return templatesByLength.get(length) ?? [];
}

/** The spec's path template for a concrete path, e.g. `/channels/123/messages` -> `/channels/{channel_id}/messages`. */
export function matchSpecPath(path: string): string | undefined {
  const segments = path.split('/');
  let best: { template: string; literal: number } | undefined;
  for (const { template, parts } of templatesOfLength(segments.length)) {
    let literal = 0;
    let ok = true;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] ?? '';
      const seg = segments[i] ?? '';
      if (part.startsWith('{') && part.endsWith('}')) continue;
      if (part !== seg) {
        ok = false;
        break;
      }
      literal++;
    }
    // Prefer literal segments over parameters (`messages/@original` over `messages/{message_id}`).
    if (ok && (!best || literal > best.literal)) best = { template, literal };
  }
  return best?.template;
}

function requestBodySchema(template: string, method: string): unknown {
  const paths = loadSpec().paths;
  const item = isObject(paths) ? paths[template] : undefined;
  const op = isObject(item) ? item[method.toLowerCase()] : undefined;
  const body = isObject(op) ? op.requestBody : undefined;
  const content = isObject(body) ? body.content : undefined;
  // payload_json of a multipart body is validated as the JSON body: the multipart schema is
  // the JSON one plus the `files[n]` parts, which never appear inside payload_json.
  const json = isObject(content) ? content['application/json'] : undefined;
  return isObject(json) ? json.schema : undefined;
}

export interface SpecValidation {
  ok: boolean;
  /** Human-readable summary, e.g. `data.content: must NOT have more than 2000 characters`. */
  message?: string;
  /** Discord's `errors` object for a 50035 answer. */
  errors?: JsonObject;
}

interface CompiledOperation {
  whole: ValidateFunction;
  /** One validator per branch when the body schema is a union, to tell which branch was meant. */
  branches: ValidateFunction[];
}

function compile(schema: unknown): ValidateFunction {
  return getAjv().compile(widenInt64(rewriteRefs(schema)) as JsonObject);
}

function validatorFor(template: string, method: string): CompiledOperation | null {
  const key = `${method.toUpperCase()} ${template}`;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const schema = requestBodySchema(template, method);
  let compiled: CompiledOperation | null = null;
  if (isObject(schema)) {
    const union = Array.isArray(schema.anyOf) ? schema.anyOf : Array.isArray(schema.oneOf) ? schema.oneOf : [];
    compiled = { whole: compile(schema), branches: union.map(compile) };
  }
  cache.set(key, compiled);
  return compiled;
}

const DISCORD_CODES: Record<string, string> = {
  maxLength: 'BASE_TYPE_MAX_LENGTH',
  minLength: 'BASE_TYPE_MIN_LENGTH',
  maxItems: 'BASE_TYPE_MAX_LENGTH',
  minItems: 'BASE_TYPE_MIN_LENGTH',
  required: 'BASE_TYPE_REQUIRED',
  type: 'BASE_TYPE_BAD_TYPE',
  enum: 'BASE_TYPE_CHOICES',
  const: 'BASE_TYPE_CHOICES',
  maximum: 'NUMBER_TYPE_MAX',
  minimum: 'NUMBER_TYPE_MIN',
  pattern: 'STRING_TYPE_REGEX',
  format: 'STRING_TYPE_REGEX',
  uniqueItems: 'LIST_ITEM_VALUE_DUPLICATE',
};

function errorPath(error: ErrorObject): string[] {
  const parts = error.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty?: string }).missingProperty;
    if (missing) parts.push(missing);
  }
  return parts;
}

function isBelow(inner: string[], outer: string[]): boolean {
  return inner.length > outer.length && outer.every((part, i) => inner[i] === part);
}

/**
 * ajv reports a failure for every branch of a union. Errors on a value that also has errors
 * deeper inside it come from branches that did not fit its shape (`must be null` next to a
 * too-long `data.content`), so they are dropped, along with the combinator summaries.
 */
function leafErrors(errors: ErrorObject[]): ErrorObject[] {
  const leaves = errors.filter((e) => !['anyOf', 'oneOf', 'allOf', 'if'].includes(e.keyword));
  const paths = leaves.map((e) => e.instancePath.split('/').slice(1));
  return leaves.filter((_, i) => {
    const own = paths[i] ?? [];
    return !paths.some((other) => isBelow(other, own));
  });
}

/**
 * For a union body (callback types, webhook create) the branch the sender meant is the one
 * whose failures sit deepest: a callback with `type: 4` fails the other branches at `type`
 * and the message branch only at `data.content`. When no branch stands out (an unknown
 * `type`), the shallowest failures of all branches are reported.
 */
function explain(op: CompiledOperation, body: unknown): ErrorObject[] {
  if (op.branches.length === 0) return leafErrors(op.whole.errors ?? []);
  const scored = op.branches.map((validate) => {
    validate(body);
    const errors = leafErrors(validate.errors ?? []);
    const score = Math.min(...errors.map((e) => errorPath(e).length));
    return { errors, score };
  });
  const best = Math.max(...scored.map((b) => b.score));
  const winners = scored.filter((b) => b.score === best);
  if (winners.length === 1) return winners[0]?.errors ?? [];
  const seen = new Set<string>();
  return winners
    .flatMap((b) => b.errors.filter((e) => errorPath(e).length === best))
    .filter((e) => {
      const id = `${errorPath(e).join('.')}|${e.message ?? ''}`;
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    });
}

export function validateRequestBody(method: string, path: string, body: unknown): SpecValidation {
  const template = matchSpecPath(path);
  if (!template) return { ok: true };
  const op = validatorFor(template, method);
  if (!op || op.whole(body)) return { ok: true };
  return refusal(explain(op, body));
}

const componentCache = new Map<string, ValidateFunction>();

function componentValidator(name: string): ValidateFunction {
  let validate = componentCache.get(name);
  if (!validate) {
    const schemas = loadSpec().components;
    if (!isObject(schemas) || !isObject(schemas.schemas) || !(name in schemas.schemas)) {
      throw new Error(`discord-openapi.json has no component schema "${name}"`);
    }
    validate = compile({ $ref: `#/components/schemas/${name}` });
    componentCache.set(name, validate);
  }
  return validate;
}

/**
 * Checks a value Discord would send (not a request body) against one of the spec's component
 * schemas, e.g. `AttachmentResponse` for an entry of an interaction's `resolved.attachments`.
 */
export function validateComponent(name: string, value: unknown): SpecValidation {
  const validate = componentValidator(name);
  if (validate(value)) return { ok: true };
  return refusal(leafErrors(validate.errors ?? []));
}

function refusal(picked: ErrorObject[]): SpecValidation {
  const errors: JsonObject = {};
  const lines: string[] = [];
  for (const error of picked) {
    const parts = errorPath(error);
    let node = errors;
    for (const part of parts) {
      const next = node[part];
      node = isObject(next) ? next : (node[part] = {});
    }
    const list = Array.isArray(node._errors) ? (node._errors as unknown[]) : (node._errors = []);
    const message = error.message ?? 'Invalid value';
    list.push({ code: DISCORD_CODES[error.keyword] ?? 'BASE_TYPE_INVALID', message });
    lines.push(`${parts.join('.') || '(body)'}: ${message}`);
  }
  return { ok: false, message: lines.join('; '), errors };
}

/** Concrete paths of every route whose body the fake validates (every body it judges before routing). */
const VALIDATED_ROUTES: Array<[string, string]> = [
  ['POST', '/interactions/1/token/callback'],
  ['PATCH', '/webhooks/1/token/messages/@original'],
  ['PATCH', '/webhooks/1/token/messages/2'],
  ['POST', '/webhooks/1/token'],
  ['POST', '/channels/1/messages'],
  ['PATCH', '/channels/1/messages/2'],
  ['POST', '/channels/1/threads'],
  ['PUT', '/applications/1/commands'],
  ['POST', '/applications/1/commands'],
  ['PATCH', '/applications/1/commands/3'],
  ['PUT', '/applications/1/guilds/2/commands'],
  ['POST', '/applications/1/guilds/2/commands'],
  ['PATCH', '/applications/1/guilds/2/commands/3'],
  ['POST', '/users/@me/channels'],
];

/**
 * Compiles every validator up front. Compiling Discord's schemas takes seconds of CPU;
 * done lazily it would block the test process (the fake and an in-process bot with it)
 * right when interactions are waiting for their 3-second callback.
 */
export function warmUpValidators(): void {
  for (const [method, path] of VALIDATED_ROUTES) {
    const template = matchSpecPath(path);
    if (template) validatorFor(template, method);
  }
  // The fake checks every attachment it puts in an interaction's `resolved`, and every forum post whole.
  componentValidator('AttachmentResponse');
  componentValidator('CreateForumThreadRequest');
}
