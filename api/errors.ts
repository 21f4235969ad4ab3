import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from 'pino';

/** The one error shape of every 4xx / 5xx answer. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** An error with an HTTP status and a stable code; `details` names fields and rules; `cause` is logged, never sent. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
  }
}

/** A 4xx about the body as a whole: the field is `body`. */
const bodyError = (status: ContentfulStatusCode, code: string, message: string, rule: string) => new ApiError(status, code, message, [{ field: 'body', rule, message }]);

/** Anything thrown, as an ApiError: known client mistakes keep their 4xx, the rest is a 500. */
function asApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof SyntaxError || (err instanceof Error && /Malformed JSON/i.test(err.message))) return bodyError(400, 'malformed_json', 'the body is not valid JSON', 'json-syntax');
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    if (status === 413) return bodyError(413, 'body_too_large', err.message || 'the body is too large', 'max-bytes');
    if (status === 401) return new ApiError(401, 'unauthorized', err.message || 'request refused', [{ field: 'authorization', rule: 'api-key', message: err.message || 'request refused' }]);
    if (status < 500) return new ApiError(status, `http_${status}`, err.message || 'request refused', [{ field: 'request', rule: `http-${status}`, message: err.message || 'request refused' }]);
  }
  return new ApiError(500, 'internal', 'internal error', undefined, err);
}

/**
 * Maps anything thrown to the error shape. A 5xx is logged with the request id and the stack of
 * what was thrown; the client only gets the code and a generic message (no stack, path or secret).
 */
export function errorResponse(err: unknown, c: Context, log?: Logger): Response {
  const e = asApiError(err);
  if (e.status >= 500 && log) {
    const cause = e.status === 500 ? err : (e.cause ?? e);
    log[e.status === 500 ? 'error' : 'warn']({ err: cause, reqId: c.get('requestId' as never) as string | undefined, method: c.req.method, path: c.req.path, status: e.status }, 'request failed');
  }
  return c.json<ErrorBody>({ error: { code: e.code, message: e.message, details: e.details } }, e.status);
}
