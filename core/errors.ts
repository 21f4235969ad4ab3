/**
 * Input that cannot be used: names the column (when there is one), the rule it breaks and,
 * for file input, the 1-based line. Callers at the edges map it to a 4xx / unrecoverable job error.
 */
export class DataError extends Error {
  override name = 'DataError';
  constructor(
    message: string,
    readonly rule: string,
    readonly column?: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

/** A model, transformer or option given something it cannot work with (bad params, unknown kind). */
export class ModelError extends Error {
  override name = 'ModelError';
}

/** A failure that retrying cannot fix (bad schema, failed quality gate); queues must not retry it. */
export class PermanentError extends Error {
  override name = 'PermanentError';
}

/** True for errors that will fail the same way on every retry. */
export function isPermanent(err: unknown): boolean {
  return err instanceof DataError || err instanceof ModelError || err instanceof PermanentError || (err as Error)?.name === 'SchemaFileError';
}
