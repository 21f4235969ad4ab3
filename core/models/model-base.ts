import type { z } from 'zod';
import { assertFitted, MODEL_FORMAT_VERSION, type ModelJSON } from './model.js';
import { parseParams } from './params.js';

/**
 * What every model shares: params checked by its zod schema at construction, a fitted state,
 * and `toJSON()` as `{ kind, version, params, state }` (the subclass's static `fromJSON` reads it).
 */
export abstract class ModelBase<P extends z.ZodType, State> {
  readonly params: z.output<P>;
  protected state?: State;

  constructor(
    readonly kind: string,
    schema: P,
    params: unknown,
  ) {
    this.params = parseParams(kind, schema, params);
  }

  /** The fitted state; throws when the model is not fitted. */
  protected fitted(): State {
    return assertFitted(this.state, this.kind);
  }

  toJSON(): ModelJSON {
    return { kind: this.kind, version: MODEL_FORMAT_VERSION, params: this.params, state: this.fitted() };
  }
}
