import type { Frame } from '../../core/data/frame.js';
import type { UnknownCounts } from '../../core/data/unknown-category.js';
import { RecordEncoder, type EncodedRecords } from '../../core/data/record-encoder.js';
import type { DatasetSchema } from '../../schema/index.js';
import { ApiError } from '../errors.js';

const MAX_DETAILS = 50;
// One encoder per served schema: its per-column rules are prepared once, not per request.
const encoders = new WeakMap<DatasetSchema, RecordEncoder>();

function encode(records: Record<string, unknown>[], schema: DatasetSchema): EncodedRecords {
  let encoder = encoders.get(schema);
  if (!encoder) encoders.set(schema, (encoder = new RecordEncoder(schema)));
  const encoded = encoder.encode(records);
  if (encoded.keyIssues.length) throw new ApiError(422, 'invalid_features', "the records do not match the model's features", encoded.keyIssues.slice(0, MAX_DETAILS));
  return encoded;
}

/** 422 unless every record names exactly the schema's features, each a number, a string or null. */
export function checkRecordKeys(records: Record<string, unknown>[], schema: DatasetSchema): void {
  encode(records, schema);
}

/**
 * JSON records (feature name -> value) to a frame laid out by the dataset schema. Every record
 * must name exactly the schema's features; values must fit their column (type, allowed values
 * unless the column scores unseen ones, range, finite). Problems become one 422 naming each
 * field, rule and row. `unknown`: the unseen categories scored anyway, per column.
 */
export function recordsToFrame(records: Record<string, unknown>[], schema: DatasetSchema): { frame: Frame; unknown: UnknownCounts } {
  const { frame, valueIssues, unknown } = encode(records, schema);
  if (valueIssues.length) throw new ApiError(422, 'invalid_values', valueIssues[0].message, valueIssues.slice(0, MAX_DETAILS));
  return { frame, unknown };
}
