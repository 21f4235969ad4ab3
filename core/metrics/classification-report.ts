import { argmaxRows } from '../models/model.js';
import { classScores, confusionMatrix, type ClassScores } from './confusion.js';
import { averagePrecision, rocAuc } from './ranking.js';

export interface ClassificationReport {
  accuracy: number;
  /** Scores of the threat (positive) class. */
  precision: number;
  recall: number;
  f1: number;
  macroF1: number;
  /** Binary: AUC of the positive class; multi-class: macro one-vs-rest. */
  rocAuc: number;
  prAuc: number;
  confusion: number[][];
  perClass: (ClassScores & { class: string })[];
  /** F1 used for model selection: the threat class's when binary, macro when multi-class. */
  selectionF1: number;
}

/** All metrics from true class indices and predicted probabilities (rows x K). */
export function classificationReport(yTrue: Int32Array, proba: Float64Array, classes: string[], positive: number): ClassificationReport {
  const K = classes.length;
  const n = yTrue.length;
  const yPred = argmaxRows(proba, K);
  const confusion = confusionMatrix(yTrue, yPred, K);
  const perClass = classes.map((c, k) => ({ class: c, ...classScores(confusion, k) }));
  let correct = 0;
  for (let k = 0; k < K; k++) correct += confusion[k][k];
  const oneVsRest = (k: number) => {
    const isPos = Array.from(yTrue, (y) => y === k);
    const score = Float64Array.from({ length: n }, (_, i) => proba[i * K + k]);
    return { auc: rocAuc(isPos, score), ap: averagePrecision(isPos, score) };
  };
  const pos = perClass[positive];
  const macroF1 = perClass.reduce((s, c) => s + c.f1, 0) / K;
  let auc: number;
  let ap: number;
  if (K === 2) ({ auc, ap } = oneVsRest(positive));
  else {
    const all = classes.map((_, k) => oneVsRest(k));
    auc = all.reduce((s, a) => s + a.auc, 0) / K;
    ap = all.reduce((s, a) => s + a.ap, 0) / K;
  }
  return {
    accuracy: correct / n,
    precision: pos.precision,
    recall: pos.recall,
    f1: pos.f1,
    macroF1,
    rocAuc: auc,
    prAuc: ap,
    confusion,
    perClass,
    selectionF1: K === 2 ? pos.f1 : macroF1,
  };
}
