import { argmaxRows } from '../models/model.js';
import { classScores, confusionMatrix } from './confusion.js';

/** The score models are selected by: F1 of the threat class when binary, macro-F1 otherwise. */
export function selectionScore(yTrue: Int32Array, proba: Float64Array, K: number, positive: number): number {
  const cm = confusionMatrix(yTrue, argmaxRows(proba, K), K);
  if (K === 2) return classScores(cm, positive).f1;
  let s = 0;
  for (let k = 0; k < K; k++) s += classScores(cm, k).f1;
  return s / K;
}
