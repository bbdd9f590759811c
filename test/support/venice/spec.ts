import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';

/** The Venice OpenAPI spec kept in the repository (never the shared copy, so `npm test` is self-contained). */
export const veniceSpecPath = fileURLToPath(new URL('../../fixtures/venice-openapi.yaml', import.meta.url));

/** JSON pointers (inside the spec) of the schemas the simulator and its tests check against. */
export const specPointers = {
  generateImageRequest: '#/components/schemas/GenerateImageRequest',
  simpleGenerateImageRequest: '#/components/schemas/SimpleGenerateImageRequest',
  upscaleImageRequest: '#/components/schemas/UpscaleImageRequest',
  editImageRequest: '#/components/schemas/EditImageRequest',
  multiEditImageRequest: '#/components/schemas/MultiEditImageRequest',
  backgroundRemoveImageRequest: '#/components/schemas/BackgroundRemoveImageRequest',
  chatCompletionRequest: '#/components/schemas/ChatCompletionRequest',
  chatCompletionResponse: '#/paths/~1chat~1completions/post/responses/200/content/application~1json/schema',
  standardError: '#/components/schemas/StandardError',
  detailedError: '#/components/schemas/DetailedError',
  payloadTooLargeError: '#/components/schemas/PayloadTooLargeError',
  x402PaymentRequired: '#/components/schemas/X402InferencePaymentRequired',
  modelList: '#/paths/~1models/get/responses/200/content/application~1json/schema',
  modelTraits: '#/paths/~1models~1traits/get/responses/200/content/application~1json/schema',
  imageStyles: '#/paths/~1image~1styles/get/responses/200/content/application~1json/schema',
  generateImageResponse: '#/paths/~1image~1generate/post/responses/200/content/application~1json/schema',
  simpleGenerateImageResponse: '#/paths/~1images~1generations/post/responses/200/content/application~1json/schema',
} as const;

let parsedSpec: unknown;

/** The spec parsed as YAML 1.2 (so `16:9` stays a string); parsed once per process. */
export function loadVeniceSpec(): unknown {
  parsedSpec ??= parse(readFileSync(veniceSpecPath, 'utf8'));
  return parsedSpec;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Rewrites the OpenAPI 3.0 dialect into JSON Schema that ajv understands: `nullable` becomes a
 * `null` type, and boolean `exclusiveMinimum`/`exclusiveMaximum` become numeric bounds.
 */
export function openApiToJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(openApiToJsonSchema);
  if (!isRecord(node)) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) out[key] = openApiToJsonSchema(value);

  if (out.nullable === true) {
    delete out.nullable;
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  }
  for (const [flag, bound] of [['exclusiveMinimum', 'minimum'], ['exclusiveMaximum', 'maximum']] as const) {
    if (typeof out[flag] !== 'boolean') continue;
    if (out[flag] === true && typeof out[bound] === 'number') {
      out[flag] = out[bound];
      delete out[bound];
    } else {
      delete out[flag];
    }
  }
  return out;
}

const specId = 'venice-openapi';
let specAjv: Ajv | undefined;
const validators = new Map<string, ValidateFunction>();

/** An ajv validator for the schema at `pointer` inside the converted spec; compiled once. */
export function specValidator(pointer: string): ValidateFunction {
  const cached = validators.get(pointer);
  if (cached) return cached;
  if (!specAjv) {
    // strict off: the spec carries OpenAPI-only keywords (example, x-*, discriminator) that ajv would refuse.
    specAjv = new Ajv({ strict: false, allErrors: true, validateSchema: false, logger: false });
    addFormatsModule.default(specAjv);
    specAjv.addSchema(openApiToJsonSchema(loadVeniceSpec()) as object, specId);
  }
  const validate = specAjv.getSchema(`${specId}${pointer}`);
  if (!validate) throw new Error(`no schema at ${pointer} in ${veniceSpecPath}`);
  validators.set(pointer, validate);
  return validate;
}

/** Validates `value` against the schema at `pointer`; returns ajv's errors, or [] when it conforms. */
export function checkAgainstSpec(pointer: string, value: unknown): ErrorObject[] {
  const validate = specValidator(pointer);
  return validate(value) ? [] : [...(validate.errors ?? [])];
}
