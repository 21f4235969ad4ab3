import { z } from 'zod';
import type { Frame } from '../data/frame.js';
import { SHARED_MIN_VALUES } from '../data/matrix.js';
import { ModelError } from '../errors.js';
import { Preprocessor } from '../transform/preprocessor.js';
import type { Classifier, ModelJSON } from './model.js';
import { loadModel } from './registry.js';

const PipelineState = z.object({
  classes: z.array(z.string()).min(2),
  positiveClass: z.number().int().nonnegative(),
  preprocessor: z.any(),
  model: z.object({ kind: z.string(), version: z.number(), params: z.unknown(), state: z.unknown() }),
});

/** A fitted preprocessor and classifier: what gets registered, served and scored. */
export class Pipeline {
  static readonly kind = 'pipeline';
  constructor(
    readonly preprocessor: Preprocessor,
    readonly model: Classifier,
    readonly classes: string[],
    readonly positiveClass: number,
  ) {}

  /** Encoder output buffer kept between calls: the matrix never leaves `predictProba`. */
  private scratch?: Float32Array;

  /** Class probabilities, rows x classes, row-major in `classes` order. */
  predictProba(frame: Frame): Float64Array {
    const X = this.preprocessor.transform(frame, this.scratch);
    if (X.rows * X.cols >= SHARED_MIN_VALUES && X.data.buffer instanceof SharedArrayBuffer && X.data.byteOffset === 0) {
      this.scratch = new Float32Array(X.data.buffer);
    }
    return this.model.predictProba(X);
  }

  toJSON(): ModelJSON {
    return {
      kind: Pipeline.kind,
      version: 1,
      params: {},
      state: { classes: this.classes, positiveClass: this.positiveClass, preprocessor: this.preprocessor.toJSON(), model: this.model.toJSON() },
    };
  }

  static async fromJSON(json: ModelJSON): Promise<Pipeline> {
    if (json?.kind !== Pipeline.kind) throw new ModelError(`expected a ${Pipeline.kind}, got ${String(json?.kind)}`);
    const s = PipelineState.parse(json.state);
    return new Pipeline(Preprocessor.fromJSON(s.preprocessor), await loadModel(s.model as ModelJSON), s.classes, s.positiveClass);
  }
}
