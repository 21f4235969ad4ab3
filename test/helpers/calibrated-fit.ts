import { chooseCalibration } from '../../core/calibration/calibrator.js';
import type { Dataset, Frame } from '../../core/data/frame.js';
import { stratifiedKFold } from '../../core/data/split.js';
import { takeDataset } from '../../core/data/frame.js';
import { Pipeline } from '../../core/models/pipeline.js';
import { createModel } from '../../core/models/registry.js';
import { Preprocessor } from '../../core/transform/preprocessor.js';

export interface CalibratedFit {
  /** Fitted on every training row, serving calibrated probabilities. */
  pipeline: Pipeline;
  /** Out-of-fold threat scores through the served calibrator: the prediction-drift reference. */
  referenceScores: Float64Array;
  /** The calibration kept (`none`, `isotonic`, `platt`). */
  method: string;
}

/**
 * A model fitted as a training run fits its winner, without the search: out-of-fold threat scores
 * from `folds` fits, a calibration chosen on them by cross-fitted Brier score (core/calibration),
 * then one fit on every row with that calibrator attached. Quick: one family, fixed params.
 */
export async function fitCalibrated(train: Dataset, o: { kind?: string; params?: Record<string, unknown>; folds?: number; seed?: number } = {}): Promise<CalibratedFit> {
  const kind = o.kind ?? 'gradient_boosting';
  const fitOn = async (data: Dataset) => {
    const preprocessor = new Preprocessor({});
    const model = createModel(kind, o.params);
    await model.fit(preprocessor.fitTransform(data.features), data.labels, { nClasses: data.classes.length });
    return new Pipeline(preprocessor, model, data.classes, data.positiveClass);
  };
  const threat = (p: Pipeline, frame: Frame) => {
    const proba = p.predictProba(frame);
    const K = train.classes.length;
    return Float64Array.from({ length: frame.nRows }, (_, i) => proba[i * K + train.positiveClass]);
  };
  const n = train.labels.length;
  const score = new Float64Array(n);
  const fold = new Uint8Array(n);
  for (const [f, split] of stratifiedKFold(train.labels, o.folds ?? 5, o.seed ?? 42).entries()) {
    const s = threat(await fitOn(takeDataset(train, split.train)), takeDataset(train, split.test).features);
    split.test.forEach((row, k) => {
      score[row] = s[k];
      fold[row] = f;
    });
  }
  const isThreat = Uint8Array.from(train.labels, (y) => (y === train.positiveClass ? 1 : 0));
  const choice = chooseCalibration(isThreat, score, fold, [train.positiveClass]);
  const pipeline = (await fitOn(train)).withCalibrator(choice.calibrator);
  const referenceScores = choice.calibrator ? score.map((s) => choice.calibrator!.score(s)) : score;
  return { pipeline, referenceScores, method: choice.method };
}

/** Calibrated threat scores of a frame from a pipeline. */
export function threatScores(pipeline: Pipeline, frame: Frame): Float64Array {
  const proba = pipeline.predictProba(frame);
  const K = pipeline.classes.length;
  return Float64Array.from({ length: frame.nRows }, (_, i) => proba[i * K + pipeline.positiveClass]);
}
