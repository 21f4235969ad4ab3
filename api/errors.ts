import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** The one error shape of every 4xx / 5xx answer. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** An error with an HTTP status and a stable code; `details` names fields and rules. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/**
 * A 401 must say how to authenticate (RFC 9110 15.5.2): the API takes Bearer keys; Bull Board's
 * Basic challenge comes from its guard's own response, and without it browsers show no login prompt.
 */
const challenge = (status: number, given?: string | null): Record<string, string> | undefined =>
  status === 401 ? { 'www-authenticate': given || 'Bearer' } : undefined;

/** Maps anything thrown to the error shape; no stack traces leave the server. */
export function errorResponse(err: unknown, c: Context): Response {
  if (err instanceof ApiError) return c.json<ErrorBody>({ error: { code: err.code, message: err.message, details: err.details } }, err.status, challenge(err.status));
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    const code = status === 413 ? 'body_too_large' : status === 401 ? 'unauthorized' : `http_${status}`;
    return c.json<ErrorBody>({ error: { code, message: err.message || 'request refused' } }, status, challenge(status, err.res?.headers.get('www-authenticate')));
  }
  if (err instanceof SyntaxError) return c.json<ErrorBody>({ error: { code: 'malformed_json', message: 'the body is not valid JSON' } }, 400);
  return c.json<ErrorBody>({ error: { code: 'internal', message: 'internal error' } }, 500);
}
