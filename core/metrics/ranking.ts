/**
 * ROC-AUC of scores for the positive rows: the Mann-Whitney statistic with average ranks for ties
 * (equal to scikit-learn's roc_auc_score). NaN when one class is absent.
 */
export function rocAuc(isPositive: ArrayLike<boolean>, score: ArrayLike<number>): number {
  const n = score.length;
  const order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => score[a] - score[b]);
  let nPos = 0;
  let rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && score[order[j + 1]] === score[order[i]]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) {
      if (isPositive[order[t]]) {
        nPos++;
        rankSum += avgRank;
      }
    }
    i = j + 1;
  }
  const nNeg = n - nPos;
  if (!nPos || !nNeg) return NaN;
  return (rankSum - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/** Average precision (area under the precision-recall curve, scikit-learn's step-wise definition). */
export function averagePrecision(isPositive: ArrayLike<boolean>, score: ArrayLike<number>): number {
  const n = score.length;
  const order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => score[b] - score[a]);
  let nPos = 0;
  for (let i = 0; i < n; i++) if (isPositive[i]) nPos++;
  if (!nPos) return NaN;
  let tp = 0;
  let fp = 0;
  let prevRecall = 0;
  let ap = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && score[order[j + 1]] === score[order[i]]) j++;
    for (let t = i; t <= j; t++) {
      if (isPositive[order[t]]) tp++;
      else fp++;
    }
    const recall = tp / nPos;
    ap += (recall - prevRecall) * (tp / (tp + fp));
    prevRecall = recall;
    i = j + 1;
  }
  return ap;
}
