/** What went wrong talking to Venice, in the terms the bot acts on. */
export type VeniceErrorKind =
  | 'bad_request' // 400: Venice refused the request's content
  | 'unauthorized' // 401: bad key, or a Pro-only model
  | 'payment_required' // 402: balance or spend limit
  | 'forbidden' // 403: model blocked for this key or region
  | 'not_found' // 404: unknown model
  | 'too_large' // 413
  | 'unsupported_media' // 415
  | 'rate_limited' // 429, after retries
  | 'server_error' // 500 and other 5xx, after retries (a POST retries only a 500)
  | 'unavailable' // 503, after retries
  | 'timeout'
  | 'network' // never reached Venice (refused, DNS, connect timeout), or a dropped GET, after retries
  | 'connection_lost' // a POST's connection dropped after it was sent: Venice may have run and billed it
  | 'malformed'; // a 2xx answer the bot cannot use

export interface VeniceErrorInit {
  status?: number;
  veniceMessage?: string;
  requestId?: string;
  retryAfterMs?: number;
  cause?: unknown;
}

export class VeniceError extends Error {
  readonly kind: VeniceErrorKind;
  readonly status: number | undefined;
  /** Venice's own text from the error body, if any: safe to show after cleaning. */
  readonly veniceMessage: string | undefined;
  /** The `CF-RAY` id, for logs and support. */
  readonly requestId: string | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(kind: VeniceErrorKind, message: string, init: VeniceErrorInit = {}) {
    super(message, { cause: init.cause });
    this.name = 'VeniceError';
    this.kind = kind;
    this.status = init.status;
    this.veniceMessage = init.veniceMessage;
    this.requestId = init.requestId;
    this.retryAfterMs = init.retryAfterMs;
  }
}

export function kindForStatus(status: number): VeniceErrorKind {
  switch (status) {
    case 400:
      return 'bad_request';
    case 401:
      return 'unauthorized';
    case 402:
      return 'payment_required';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 413:
      return 'too_large';
    case 415:
      return 'unsupported_media';
    case 429:
      return 'rate_limited';
    case 503:
      return 'unavailable';
    default:
      return status >= 500 ? 'server_error' : 'bad_request';
  }
}

/**
 * Whether a failed request is worth another try after a pause. A GET changes nothing, so any
 * failure to get an answer is retried. A POST may already have been billed: it is retried only
 * when it provably never reached Venice (`network` on a POST means the connection was never
 * made) or when Venice itself answered that it did not run it (429, 500, 503). A gateway's
 * 502 or 504 says nothing about whether Venice ran the request behind it.
 */
export function isRetryable(error: VeniceError, method: 'GET' | 'POST'): boolean {
  switch (error.kind) {
    case 'rate_limited':
    case 'unavailable':
    case 'network':
      return true;
    case 'server_error':
      return method === 'GET' || error.status === 500;
    default:
      return false;
  }
}
