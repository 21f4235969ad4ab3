import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ApiError } from './errors.js';

/** A CSV upload to the async batch route: streamed, so the JSON-only checks and limits do not apply. */
export const isCsvUpload = (c: Context) => c.req.method === 'POST' && c.req.path === '/v1/batches' && (c.req.header('content-type') ?? '').toLowerCase().startsWith('text/csv');

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/** Path of the first own key that could reach an object's prototype, anywhere in a JSON value. */
function forbiddenKey(value: unknown, path: string[] = []): string | undefined {
  if (!value || typeof value !== 'object') return undefined;
  for (const key of Object.keys(value)) {
    if (FORBIDDEN.has(key)) return [...path, key].join('.');
    const found = forbiddenKey((value as Record<string, unknown>)[key], [...path, key]);
    if (found) return found;
  }
  return undefined;
}

/**
 * Whether a JSON text could hold a forbidden key: one of the names before a closing quote, or
 * any escape (`"\u005f_proto__"` spells one too). A cheap scan, so that only such bodies are
 * parsed and walked before the route parses them. Its first character is not `"`: a pattern
 * starting with one tries a match at every quote of the body, several times slower.
 */
const mayHoldForbiddenKey = (text: string) => /__proto__"|constructor"|prototype"/.test(text) || text.includes('\\');

/**
 * One middleware for every JSON body of the API (one step, since each middleware costs a few
 * microseconds per request): 415 unless the body is JSON, 413 over `maxBytes` (from the declared
 * length; only chunked bodies go through Hono's counting stream), and 422 for `__proto__` /
 * `constructor` / `prototype` keys, refused before the body is parsed into objects.
 */
export function jsonBodyGuard(maxBytes: number): MiddlewareHandler {
  const tooLarge = (): never => {
    throw new ApiError(413, 'body_too_large', `the body is over ${maxBytes} bytes`);
  };
  const limitStream = bodyLimit({ maxSize: maxBytes, onError: tooLarge });
  const checkKeys = async (c: Context, next: () => Promise<void>) => {
    const text = await c.req.text();
    if (mayHoldForbiddenKey(text)) {
      let field: string | undefined;
      try {
        field = forbiddenKey(JSON.parse(text));
      } catch {
        // malformed: parsing answers it with 400
      }
      if (field) throw new ApiError(422, 'forbidden_key', `the key ${field.split('.').pop()} is not allowed`, [{ field, rule: 'forbidden-key' }]);
    }
    await next();
  };
  return async (c, next) => {
    if (c.req.method !== 'POST' || isCsvUpload(c)) return next();
    const length = c.req.header('content-length');
    const chunked = c.req.header('transfer-encoding') !== undefined;
    if ((length ?? '0') === '0' && !chunked) return next();
    if (!(c.req.header('content-type') ?? '').toLowerCase().startsWith('application/json')) {
      throw new ApiError(415, 'unsupported_media_type', c.req.path === '/v1/batches' ? 'send text/csv or application/json' : 'send application/json');
    }
    if (length === undefined || chunked) return limitStream(c, () => checkKeys(c, next));
    if (Number(length) > maxBytes) tooLarge();
    return checkKeys(c, next);
  };
}
