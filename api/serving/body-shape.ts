import { ApiError } from '../errors.js';

const invalid = (field: string, rule: string, message: string) => new ApiError(422, 'invalid_request', message, [{ field, rule, message }]);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The one member of a JSON body object that may hold anything else (`{"features": {...}}`,
 * `{"rows": [...]}`), checked by hand on the hot prediction routes: their zod schemas document
 * the routes, but validating with them costs more than scoring. Values are checked by the
 * record encoder.
 */
export function onlyMember(body: unknown, key: string, optional: readonly string[] = []): unknown {
  if (!isRecord(body)) throw invalid('body', 'invalid_type', 'the body must be a JSON object');
  for (const k of Object.keys(body)) if (k !== key && !optional.includes(k)) throw invalid(k, 'unrecognized_keys', `${k} is not allowed here`);
  if (body[key] === undefined) throw invalid(key, 'required', `${key} is required`);
  return body[key];
}

/** `{"features": {...}}` -> the record. */
export function featuresOf(body: unknown): Record<string, unknown> {
  const features = onlyMember(body, 'features', ['explain']);
  if (!isRecord(features)) throw invalid('features', 'invalid_type', 'features must be an object of feature name -> value');
  return features;
}

/** `{"rows": [{...}, ...]}` -> the records (at least one). */
export function rowsOf(body: unknown): Record<string, unknown>[] {
  const rows = onlyMember(body, 'rows', ['explain']);
  if (!Array.isArray(rows)) throw invalid('rows', 'invalid_type', 'rows must be an array of records');
  if (rows.length === 0) throw invalid('rows', 'too_small', 'rows must hold at least one record');
  const bad = rows.findIndex((r) => !isRecord(r));
  if (bad >= 0) throw invalid(`rows.${bad}`, 'invalid_type', `rows.${bad} must be an object of feature name -> value`);
  return rows;
}

/** Most contributions one explanation may list. */
export const MAX_TOP = 1000;

/**
 * The body's `explain` member: absent or false -> no explanation; true -> the DEFAULT_TOP largest
 * contributions; `{"top": k}` (1 <= k <= MAX_TOP) -> the k largest.
 */
export function explainOf(body: unknown, defaultTop: number): number | undefined {
  const e = isRecord(body) ? body.explain : undefined;
  if (e === undefined || e === false) return undefined;
  if (e === true) return defaultTop;
  if (!isRecord(e)) throw invalid('explain', 'invalid_type', 'explain must be true, false or {"top": k}');
  for (const k of Object.keys(e)) if (k !== 'top') throw invalid(`explain.${k}`, 'unrecognized_keys', `explain.${k} is not allowed here`);
  const top = e.top ?? defaultTop;
  if (typeof top !== 'number' || !Number.isInteger(top) || top < 1 || top > MAX_TOP) {
    throw invalid('explain.top', 'integer-range', `explain.top must be a whole number from 1 to ${MAX_TOP}`);
  }
  return top;
}
