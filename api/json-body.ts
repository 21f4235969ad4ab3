import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ApiError } from './errors.js';

/** Routes that also take CSV bodies (each reads and limits its own). */
const CSV_ROUTES = new Set(['/v1/batches', '/v1/feedback']);

/** A CSV upload to a route that takes one (async batches, feedback): the JSON-only checks and limits do not apply. */
export const isCsvUpload = (c: Context) => c.req.method === 'POST' && CSV_ROUTES.has(c.req.path) && (c.req.header('content-type') ?? '').toLowerCase().startsWith('text/csv');

/**
 * How deep a JSON body may nest (objects and arrays). Real bodies nest a few levels (a dataset
 * schema or a run file about six); deeper ones are refused before any parse, since walking them
 * (the key check below, zod, the YAML reader) recurses once per level.
 */
export const MAX_JSON_DEPTH = 64;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Whether a JSON text nests deeper than `max`: one pass over its characters, skipping strings. */
export function nestsDeeper(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === BACKSLASH) i++;
      else if (ch === QUOTE) inString = false;
    } else if (ch === QUOTE) inString = true;
    else if (ch === OPEN_BRACE || ch === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (ch === CLOSE_BRACE || ch === CLOSE_BRACKET) depth--;
  }
  return false;
}

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
 * length; only chunked bodies go through Hono's counting stream), 422 when it nests deeper than
 * MAX_JSON_DEPTH, and 422 for `__proto__` / `constructor` / `prototype` keys, refused before the
 * body is parsed into objects.
 */
export function jsonBodyGuard(maxBytes: number): MiddlewareHandler {
  const tooLarge = (): never => {
    const message = `the body is over ${maxBytes} bytes`;
    throw new ApiError(413, 'body_too_large', message, [{ field: 'body', rule: 'max-bytes', message }]);
  };
  const limitStream = bodyLimit({ maxSize: maxBytes, onError: tooLarge });
  const checkKeys = async (c: Context, next: () => Promise<void>) => {
    const text = await c.req.text();
    if (nestsDeeper(text, MAX_JSON_DEPTH)) {
      const message = `the body nests deeper than ${MAX_JSON_DEPTH} levels`;
      throw new ApiError(422, 'too_deep', message, [{ field: 'body', rule: 'max-depth', message }]);
    }
    if (mayHoldForbiddenKey(text)) {
      let field: string | undefined;
      try {
        field = forbiddenKey(JSON.parse(text));
      } catch (err) {
        // Malformed: the route's parse answers it with 400. Nothing else may pass unchecked.
        if (!(err instanceof SyntaxError)) throw err;
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
      const message = CSV_ROUTES.has(c.req.path) ? 'send text/csv or application/json' : 'send application/json';
      throw new ApiError(415, 'unsupported_media_type', message, [{ field: 'content-type', rule: 'media-type', message }]);
    }
    if (length === undefined || chunked) return limitStream(c, () => checkKeys(c, next));
    if (Number(length) > maxBytes) tooLarge();
    return checkKeys(c, next);
  };
}
