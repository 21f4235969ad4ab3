/** K x K counts, row = true class, column = predicted class (scikit-learn's layout). */
export function confusionMatrix(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, K: number): number[][] {
  if (yTrue.length !== yPred.length) throw new RangeError('yTrue and yPred differ in length');
  const m = Array.from({ length: K }, () => new Array<number>(K).fill(0));
  for (let i = 0; i < yTrue.length; i++) m[yTrue[i]][yPred[i]]++;
  return m;
}

export interface ClassScores {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/** Precision, recall and F1 of class k; 0 where undefined (scikit-learn's zero_division=0). */
export function classScores(cm: number[][], k: number): ClassScores {
  const tp = cm[k][k];
  const support = cm[k].reduce((a, b) => a + b, 0);
  const predicted = cm.reduce((a, row) => a + row[k], 0);
  const precision = predicted ? tp / predicted : 0;
  const recall = support ? tp / support : 0;
  const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1, support };
}
