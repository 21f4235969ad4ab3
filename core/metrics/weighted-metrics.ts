import { argmaxRows } from '../models/model.js';

/** The test metrics a promotion can be decided on (schema/config.ts TM_PROMOTION_METRIC). */
export type PromotionMetric = 'f1' | 'macroF1' | 'rocAuc' | 'prAuc' | 'accuracy';

/**
 * A metric of fixed predictions that can be recomputed under row weights (`w[i]` = how many times
 * row i was drawn), so a bootstrap resample is a counts array, never a copy of the rows. With unit
 * weights each metric equals classificationReport's (scikit-learn's, with `sample_weight`).
 */
export interface WeightedScorer {
  readonly rows: number;
  score(w: ArrayLike<number>): number;
}

/** Rows with an unknown label (-1) never count. */
export function weightedScorer(metric: PromotionMetric, yTrue: Int32Array, proba: Float64Array, K: number, positive: number): WeightedScorer {
  const rows = yTrue.length;
  if (metric === 'rocAuc' || metric === 'prAuc') {
    const classes = K === 2 ? [positive] : Array.from({ length: K }, (_, k) => k);
    const curves = classes.map((k) => rankedClass(yTrue, proba, K, k));
    const one = metric === 'rocAuc' ? weightedAuc : weightedAveragePrecision;
    return { rows, score: (w) => curves.reduce((s, c) => s + one(c, w), 0) / curves.length };
  }
  const yPred = argmaxRows(proba, K);
  return { rows, score: (w) => confusionScore(metric, yTrue, yPred, K, positive, w) };
}

function confusionScore(metric: 'f1' | 'macroF1' | 'accuracy', yTrue: Int32Array, yPred: Int32Array, K: number, positive: number, w: ArrayLike<number>): number {
  const cm = new Float64Array(K * K);
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] >= 0 && w[i]) cm[yTrue[i] * K + yPred[i]] += w[i];
  const f1 = (k: number) => {
    let support = 0;
    let predicted = 0;
    for (let j = 0; j < K; j++) {
      support += cm[k * K + j];
      predicted += cm[j * K + k];
    }
    const tp = cm[k * K + k];
    // scikit-learn's zero_division=0; 2tp / (support + predicted) is F1 without the two ratios.
    return support + predicted ? (2 * tp) / (support + predicted) : 0;
  };
  if (metric === 'f1') return f1(positive);
  if (metric === 'macroF1') {
    let s = 0;
    for (let k = 0; k < K; k++) s += f1(k);
    return s / K;
  }
  let correct = 0;
  let total = 0;
  for (let k = 0; k < K; k++) {
    correct += cm[k * K + k];
    for (let j = 0; j < K; j++) total += cm[k * K + j];
  }
  return total ? correct / total : NaN;
}

/** Rows in ascending order of class k's score, cut into groups of equal score (ties). */
interface RankedClass {
  order: Int32Array;
  /** Group g is order[groupStart[g] .. groupStart[g + 1]). */
  groupStart: Int32Array;
  isPos: Uint8Array;
}

function rankedClass(yTrue: Int32Array, proba: Float64Array, K: number, k: number): RankedClass {
  const n = yTrue.length;
  const score = new Float64Array(n);
  let kept = 0;
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    score[i] = proba[i * K + k];
    if (yTrue[i] >= 0) idx[kept++] = i;
  }
  const order = idx.subarray(0, kept).sort((a, b) => score[a] - score[b]);
  const starts = new Int32Array(kept + 1);
  let groups = 0;
  for (let t = 0; t < kept; t++) if (t === 0 || score[order[t]] !== score[order[t - 1]]) starts[groups++] = t;
  starts[groups] = kept;
  const isPos = new Uint8Array(n);
  for (let i = 0; i < n; i++) isPos[i] = yTrue[i] === k ? 1 : 0;
  return { order, groupStart: starts.slice(0, groups + 1), isPos };
}

/** Weighted Mann-Whitney: a tie counts half (average ranks, as rocAuc in ranking.ts). */
function weightedAuc(c: RankedClass, w: ArrayLike<number>): number {
  let negBelow = 0;
  let pos = 0;
  let sum = 0;
  for (let g = 0; g + 1 < c.groupStart.length; g++) {
    let gp = 0;
    let gn = 0;
    for (let t = c.groupStart[g]; t < c.groupStart[g + 1]; t++) {
      const i = c.order[t];
      if (c.isPos[i]) gp += w[i];
      else gn += w[i];
    }
    sum += gp * (negBelow + gn / 2);
    negBelow += gn;
    pos += gp;
  }
  return pos && negBelow ? sum / (pos * negBelow) : NaN;
}

/** Weighted average precision, walking the groups from the highest score down (as averagePrecision). */
function weightedAveragePrecision(c: RankedClass, w: ArrayLike<number>): number {
  let P = 0;
  for (let t = 0; t < c.order.length; t++) if (c.isPos[c.order[t]]) P += w[c.order[t]];
  if (!P) return NaN;
  let tp = 0;
  let fp = 0;
  let prevRecall = 0;
  let ap = 0;
  for (let g = c.groupStart.length - 2; g >= 0; g--) {
    for (let t = c.groupStart[g]; t < c.groupStart[g + 1]; t++) {
      const i = c.order[t];
      if (c.isPos[i]) tp += w[i];
      else fp += w[i];
    }
    if (tp + fp === 0) continue;
    const recall = tp / P;
    ap += (recall - prevRecall) * (tp / (tp + fp));
    prevRecall = recall;
  }
  return ap;
}
