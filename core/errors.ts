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
