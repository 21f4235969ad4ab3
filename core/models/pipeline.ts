import { z } from 'zod';
import type { Frame } from '../data/frame.js';
import { SHARED_MIN_VALUES, type Matrix } from '../data/matrix.js';
import { ThreatCalibrator } from '../calibration/calibrator.js';
import { ModelError } from '../errors.js';
import { Preprocessor } from '../transform/preprocessor.js';
import type { Classifier, ModelJSON } from './model.js';
import { loadModel } from './registry.js';

const PipelineState = z.object({
  classes: z.array(z.string()).min(2),
  positiveClass: z.number().int().nonnegative(),
  preprocessor: z.any(),
  model: z.object({ kind: z.string(), version: z.number(), params: z.unknown(), state: z.unknown() }),
  /** Maps the threat score to a calibrated one (fitted on out-of-fold scores); absent = uncalibrated. */
  calibrator: z.unknown().optional(),
});

/** A fitted preprocessor and classifier: what gets registered, served and scored. */
export class Pipeline {
  static readonly kind = 'pipeline';
  constructor(
    readonly preprocessor: Preprocessor,
    readonly model: Classifier,
    readonly classes: string[],
    readonly positiveClass: number,
    readonly calibrator?: ThreatCalibrator,
  ) {}

  /** The same pipeline serving calibrated probabilities. */
  withCalibrator(calibrator: ThreatCalibrator | undefined): Pipeline {
    return new Pipeline(this.preprocessor, this.model, this.classes, this.positiveClass, calibrator);
  }

  /** Encoder output buffer kept between calls: the matrix never leaves `predictProba`. */
  private scratch?: Float32Array;

  /** Class probabilities, rows x classes, row-major in `classes` order. */
  predictProba(frame: Frame): Float64Array {
    const X = this.preprocessor.transform(frame, this.scratch);
    if (X.rows * X.cols >= SHARED_MIN_VALUES && X.data.buffer instanceof SharedArrayBuffer && X.data.byteOffset === 0) {
      this.scratch = new Float32Array(X.data.buffer);
    }
    return this.probaOf(X);
  }

  /** Class probabilities of rows this pipeline's preprocessor already transformed (`predictProba` without the transform). */
  probaOf(X: Matrix): Float64Array {
    const proba = this.model.predictProba(X);
    return this.calibrator ? this.calibrator.applyTo(proba, this.classes.length) : proba;
  }

  toJSON(): ModelJSON {
    return {
      kind: Pipeline.kind,
      version: 1,
      params: {},
      state: {
        classes: this.classes,
        positiveClass: this.positiveClass,
        preprocessor: this.preprocessor.toJSON(),
        model: this.model.toJSON(),
        ...(this.calibrator ? { calibrator: this.calibrator.toJSON() } : {}),
      },
    };
  }

  static async fromJSON(json: ModelJSON): Promise<Pipeline> {
    if (json?.kind !== Pipeline.kind) throw new ModelError(`expected a ${Pipeline.kind}, got ${String(json?.kind)}`);
    const s = PipelineState.parse(json.state);
    const calibrator = s.calibrator === undefined ? undefined : ThreatCalibrator.fromJSON(s.calibrator);
    return new Pipeline(Preprocessor.fromJSON(s.preprocessor), await loadModel(s.model as ModelJSON), s.classes, s.positiveClass, calibrator);
  }
}
