import { takeDataset, type Dataset } from '../data/frame.js';
import { stratifiedKFold } from '../data/split.js';
import { selectionScore } from '../metrics/selection-score.js';
import type { Pipeline } from '../models/pipeline.js';

/** Stratified k-fold CV of a fitting procedure: selection F1 per fold, its mean and population sd. */
export async function crossValidate(
  fit: (train: Dataset) => Promise<Pipeline>,
  data: Dataset,
  k: number,
  seed: number,
): Promise<{ folds: number[]; mean: number; sd: number }> {
  const folds: number[] = [];
  for (const split of stratifiedKFold(data.labels, k, seed)) {
    const pipeline = await fit(takeDataset(data, split.train));
    const val = takeDataset(data, split.test);
    folds.push(selectionScore(val.labels, pipeline.predictProba(val.features), data.classes.length, data.positiveClass));
  }
  const mean = folds.reduce((a, b) => a + b, 0) / k;
  return { folds, mean, sd: Math.sqrt(folds.reduce((a, b) => a + (b - mean) ** 2, 0) / k) };
}
