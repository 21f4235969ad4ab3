/**
 * Label-free performance estimation from calibrated threat scores (confidence-based performance
 * estimation, as NannyML's CBPE): when a row's calibrated score is p, its true label is "threat"
 * with probability p, so the confusion matrix at a threshold has an expected value and a variance
 * without a single label. Holds only while the scores stay calibrated on the new traffic (covariate
 * shift keeps P(y | x), concept shift does not: that is what feedback labels are for).
 */

export interface EstimatedMetric {
  value: number;
  /** Standard error from the labels' randomness (rows independent Bernoulli(p)), by the delta method. */
  se: number;
}

export interface EstimatedPerformance {
  rows: number;
  /** Share of rows flagged as threats at the threshold. */
  flaggedShare: number;
  /** Expected share of true threats. */
  expectedThreatShare: number;
  precision: EstimatedMetric;
  recall: EstimatedMetric;
  f1: EstimatedMetric;
  accuracy: EstimatedMetric;
  /** Expected ROC-AUC (pairs weighted by p_i (1 - p_j)); no standard error. */
  rocAuc: number;
}

/**
 * Expected precision, recall, F1 and accuracy of "threat when score >= threshold", and expected
 * ROC-AUC, from calibrated scores alone. O(n) for the confusion metrics, O(n log n) for the AUC.
 */
export function estimatePerformance(scores: ArrayLike<number>, threshold: number): EstimatedPerformance {
  const n = scores.length;
  // TP, FN: sums of Bernoulli(p) over flagged and unflagged rows; their means and variances.
  let tp = 0;
  let varTp = 0;
  let fn = 0;
  let varFn = 0;
  let flagged = 0;
  for (let i = 0; i < n; i++) {
    const p = clamp01(scores[i]);
    if (p >= threshold) {
      flagged++;
      tp += p;
      varTp += p * (1 - p);
    } else {
      fn += p;
      varFn += p * (1 - p);
    }
  }
  const positives = tp + fn;
  const precision = ratio(tp, flagged, 1 / flagged, 0, varTp, varFn);
  // recall = TP / (TP + FN): d/dTP = FN / D^2, d/dFN = -TP / D^2.
  const recall = ratio(tp, positives, fn / positives ** 2, -tp / positives ** 2, varTp, varFn);
  // F1 = 2 TP / (TP + FN + flagged): d/dTP = 2 (FN + flagged) / D^2, d/dFN = -2 TP / D^2.
  const d = positives + flagged;
  const f1 = ratio(2 * tp, d, (2 * (fn + flagged)) / d ** 2, (-2 * tp) / d ** 2, varTp, varFn);
  // accuracy = (TP + unflagged - FN) / n.
  const accuracy = { value: n ? (tp + (n - flagged) - fn) / n : NaN, se: n ? Math.sqrt(varTp + varFn) / n : NaN };
  return {
    rows: n,
    flaggedShare: n ? flagged / n : NaN,
    expectedThreatShare: n ? positives / n : NaN,
    precision,
    recall,
    f1,
    accuracy,
    rocAuc: expectedRocAuc(scores),
  };
}

function ratio(num: number, den: number, dTp: number, dFn: number, varTp: number, varFn: number): EstimatedMetric {
  if (!(den > 0)) return { value: NaN, se: NaN };
  return { value: num / den, se: Math.sqrt(dTp * dTp * varTp + dFn * dFn * varFn) };
}

const clamp01 = (p: number) => (p > 1 ? 1 : p > 0 ? p : 0);

/**
 * Expected ROC-AUC when row i is a threat with probability p_i: every ordered pair (i, j), i != j,
 * counts with weight p_i (1 - p_j), concordant when s_i > s_j, half when tied. NaN for no pairs.
 */
export function expectedRocAuc(scores: ArrayLike<number>): number {
  const n = scores.length;
  // Only the values matter (ties are grouped by value): a typed sort, no index comparator.
  const sorted = Float64Array.from(scores).sort();
  let negBelow = 0;
  let concordant = 0;
  let allPos = 0;
  let allNeg = 0;
  let self = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && sorted[j + 1] === sorted[i]) j++;
    let pos = 0;
    let neg = 0;
    let groupSelf = 0;
    for (let t = i; t <= j; t++) {
      const p = clamp01(sorted[t]);
      pos += p;
      neg += 1 - p;
      groupSelf += p * (1 - p);
    }
    // Ties count half, without a row paired with itself.
    concordant += pos * negBelow + 0.5 * (pos * neg - groupSelf);
    negBelow += neg;
    allPos += pos;
    allNeg += neg;
    self += groupSelf;
    i = j + 1;
  }
  const pairs = allPos * allNeg - self;
  return pairs > 0 ? concordant / pairs : NaN;
}
