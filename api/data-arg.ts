import { pathUnderRoots } from '../core/adapters/data-roots.js';
import { mongoUriProblem } from '../core/adapters/mongo-source.js';
import { DataError } from '../core/errors.js';
import type { SourceSpec } from '../schema/index.js';
import { ApiError } from './errors.js';

const refuse = (rule: string, message: string) => new ApiError(422, 'invalid_data', message, [{ field: 'data', rule, message }]);

/**
 * A run's `data` from the API as a source, or a 422 naming `data` and the rule: s3://bucket/key,
 * a MongoDB URI the driver accepts, or a file under one of `roots` (symlinks resolved; the worker
 * checks again when it opens it). Any other scheme (file:, http:) is refused. The CLI, run by the
 * machine's own user, may read any path and does not come through here.
 */
export async function apiRunSource(data: string, collection: string, roots: readonly string[], toSource: (data: string, collection: string) => SourceSpec): Promise<SourceSpec> {
  if (/^s3:\/\//i.test(data)) {
    if (!/^s3:\/\/[^/\s]+\/\S+$/.test(data)) throw refuse('s3-uri', 'data: expected s3://bucket/key');
    return toSource(data, collection);
  }
  if (/^mongodb(\+srv)?:\/\//i.test(data)) {
    const problem = mongoUriProblem(data);
    if (problem) throw refuse('mongodb-uri', `data: ${problem}`);
    return toSource(data, collection);
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(data)) throw refuse('data-source', 'data: expected s3://bucket/key, mongodb://host/db or a file under a data root');
  try {
    const { path, root } = await pathUnderRoots(data, roots);
    return { kind: 'csv', path, root };
  } catch (err) {
    if (err instanceof DataError) throw refuse(err.rule, err.message);
    throw err;
  }
}
