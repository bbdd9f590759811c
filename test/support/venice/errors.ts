import { STATUS_CODES } from 'node:http';
import type { ErrorObject } from 'ajv';

/** One validation problem, in the shape of a zod (v3) issue: Venice validates with zod. */
export interface ValidationIssue {
  code: string;
  path: (string | number)[];
  message: string;
  keys?: string[];
}

/** zod's `error.format()`: every node has `_errors`, children are keyed by path segment. */
export interface FormattedErrors {
  _errors: string[];
  [segment: string]: string[] | FormattedErrors;
}

export interface DetailedErrorBody {
  error: string;
  details: FormattedErrors;
  issues: ValidationIssue[];
}

export function issue(path: string, message: string, code = 'custom'): ValidationIssue {
  return { code, path: [path], message };
}

function formatIssues(issues: readonly ValidationIssue[]): FormattedErrors {
  const root: FormattedErrors = { _errors: [] };
  for (const { path, message } of issues) {
    let node = root;
    for (const segment of path) {
      const key = String(segment);
      const child = node[key];
      if (child && !Array.isArray(child)) {
        node = child;
      } else {
        const created: FormattedErrors = { _errors: [] };
        node[key] = created;
        node = created;
      }
    }
    node._errors.push(message);
  }
  return root;
}

/** A 400 body in the spec's `DetailedError` shape; `error` names the first offending field. */
export function detailedError(issues: readonly ValidationIssue[]): DetailedErrorBody {
  const first = issues[0];
  const where = first && first.path.length > 0 ? `${first.path.join('.')}: ` : '';
  return {
    error: first ? `Invalid request parameters. ${where}${first.message}` : 'Invalid request parameters',
    details: formatIssues(issues),
    issues: [...issues],
  };
}

function pathOf(instancePath: string): (string | number)[] {
  return instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'number' : 'float';
  return typeof value;
}

function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let node = root;
  for (const segment of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[String(segment)];
  }
  return node;
}

/** Translates ajv errors into the issues zod would have reported for the same body. */
export function issuesFromAjv(errors: readonly ErrorObject[], body: unknown): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const seen = new Set<string>();
  const unknownKeys = new Map<string, string[]>();
  for (const error of errors) {
    const path = pathOf(error.instancePath);
    const params = error.params as Record<string, unknown>;
    const limit = params.limit;
    let found: ValidationIssue | undefined;
    switch (error.keyword) {
      case 'additionalProperties': {
        // zod reports all unknown keys of one object in a single issue at the object's path.
        const key = JSON.stringify(path);
        const keys = unknownKeys.get(key) ?? [];
        keys.push(String(params.additionalProperty));
        unknownKeys.set(key, keys);
        continue;
      }
      case 'required':
        found = { code: 'invalid_type', path: [...path, String(params.missingProperty)], message: 'Required' };
        break;
      case 'type': {
        const expected = String(params.type).split(',')[0] ?? 'unknown';
        const received = typeName(valueAt(body, path));
        found = { code: 'invalid_type', path, message: `Expected ${expected === 'integer' ? 'integer' : expected}, received ${received}` };
        break;
      }
      case 'maxLength':
        found = { code: 'too_big', path, message: `String must contain at most ${String(limit)} character(s)` };
        break;
      case 'minLength':
        found = { code: 'too_small', path, message: `String must contain at least ${String(limit)} character(s)` };
        break;
      case 'maximum':
        found = { code: 'too_big', path, message: `Number must be less than or equal to ${String(limit)}` };
        break;
      case 'exclusiveMaximum':
        found = { code: 'too_big', path, message: `Number must be less than ${String(limit)}` };
        break;
      case 'minimum':
        found = { code: 'too_small', path, message: `Number must be greater than or equal to ${String(limit)}` };
        break;
      case 'exclusiveMinimum':
        found = { code: 'too_small', path, message: `Number must be greater than ${String(limit)}` };
        break;
      case 'maxItems':
        found = { code: 'too_big', path, message: `Array must contain at most ${String(limit)} element(s)` };
        break;
      case 'enum': {
        const allowed = (params.allowedValues as unknown[]).filter((v) => v !== null).map((v) => `'${String(v)}'`);
        found = {
          code: 'invalid_enum_value',
          path,
          message: `Invalid enum value. Expected ${allowed.join(' | ')}, received '${String(valueAt(body, path))}'`,
        };
        break;
      }
      default:
        found = { code: 'invalid_union', path, message: 'Invalid input' };
    }
    const key = `${JSON.stringify(found.path)}|${found.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(found);
  }
  for (const [key, keys] of unknownKeys) {
    const path = JSON.parse(key) as (string | number)[];
    const list = keys.map((k) => `'${k}'`).join(', ');
    // Put these first: an unknown field is the likeliest cause and the message names it.
    issues.unshift({ code: 'unrecognized_keys', keys, path, message: `Unrecognized key(s) in object: ${list}` });
  }
  return issues;
}

/** Default bodies for scripted errors, after the texts Venice is known to send. */
export function defaultErrorBody(status: number): unknown {
  switch (status) {
    case 400:
      return detailedError([]);
    case 401:
      return { error: 'Authentication failed' };
    case 402:
      return { error: 'Insufficient USD or Diem balance to complete request', code: 'INSUFFICIENT_BALANCE' };
    case 403:
      return { error: 'This model is not available for your API key or region' };
    case 404:
      return { error: 'Specified model not found' };
    case 413:
      return { code: 'PAYLOAD_TOO_LARGE', error: 'Request body exceeds the maximum allowed size.' };
    case 415:
      return { error: 'Invalid request content-type' };
    case 429:
      return { error: 'Rate limit exceeded' };
    case 500:
      return { error: 'Inference processing failed' };
    case 503:
      return { error: 'The model is at capacity. Please try again later.' };
    default:
      return { error: STATUS_CODES[status] ?? 'Unknown error' };
  }
}

/**
 * The 429 Venice sends while a key is locked out for failing too often, after the text on its
 * rate-limiting page ("Too many failed attempts (> 20) ... Please wait 30s and try again.").
 */
export function lockoutErrorBody(failures: number, waitSeconds: number): { error: string } {
  return {
    error:
      `Too many failed attempts (> ${failures}) resulting in a non-success status code. Please wait ${waitSeconds}s and try again. ` +
      'See https://docs.venice.ai/api-reference/rate-limiting for more information.',
  };
}

/** The x402 discovery body Venice answers when a request carries no credentials at all. */
export function x402DiscoveryBody(resourceUrl: string): Record<string, unknown> {
  return {
    x402Version: 2,
    error: 'Payment required',
    resource: { url: resourceUrl, description: 'Venice API', mimeType: 'application/json' },
    accepts: [
      {
        scheme: 'exact',
        network: 'eip155:8453',
        asset: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913',
        amount: '10000000',
        payTo: '0x0000000000000000000000000000000000000000',
        maxTimeoutSeconds: 300,
        extra: { name: 'USD Coin', version: '2' },
      },
    ],
    extensions: {},
    authOptions: {
      apiKey: {
        header: 'Authorization: Bearer YOUR_API_KEY',
        getKey: 'https://venice.ai/settings/api',
        docs: 'https://docs.venice.ai/api-reference',
      },
      x402Wallet: {
        header: 'SIGN-IN-WITH-X',
        legacyHeader: 'X-Sign-In-With-X',
        topUp: 'POST /api/v1/x402/top-up',
        docs: 'https://docs.venice.ai/api-reference/endpoint/x402/top-up',
      },
    },
  };
}
