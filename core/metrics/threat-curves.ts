/**
 * ROC and precision-recall curves of a threat score, and the confusion matrix at a threshold
 * (`score >= threshold` flags a threat). Curves are cut at the distinct score values (ties move
 * together) and thinned to at most `maxPoints` points, keeping the first and last.
 */

export interface CurvePoint {
  /** Scores >= threshold are flagged. */
  threshold: number;
  fpr: number;
  tpr: number;
  precision: number;
}

export interface ThreatCurves {
  roc: { threshold: number; fpr: number; tpr: number }[];
  pr: { threshold: number; recall: number; precision: number }[];
  positives: number;
  negatives: number;
}

export interface BinaryConfusion {
  threshold: number;
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  precision: number;
  recall: number;
  fpr: number;
  f1: number;
}

/**
 * The distinct scores, ascending, with the threats and others scored each: two native numeric sorts
 * (threat rows, other rows) merged, about 20 times faster at a million rows than sorting indices
 * with a comparator.
 */
export function scoreGroups(isThreat: ArrayLike<number>, score: ArrayLike<number>): { value: Float64Array; threats: Float64Array; others: Float64Array } {
  let nPos = 0;
  for (let i = 0; i < score.length; i++) if (isThreat[i]) nPos++;
  const pos = new Float64Array(nPos);
  const neg = new Float64Array(score.length - nPos);
  for (let i = 0, p = 0, q = 0; i < score.length; i++) {
    if (isThreat[i]) pos[p++] = score[i];
    else neg[q++] = score[i];
  }
  pos.sort();
  neg.sort();
  const value = new Float64Array(score.length);
  const threats = new Float64Array(score.length);
  const others = new Float64Array(score.length);
  let g = -1;
  for (let p = 0, q = 0; p < pos.length || q < neg.length; ) {
    const fromPos = q >= neg.length || (p < pos.length && pos[p] <= neg[q]);
    const v = fromPos ? pos[p++] : neg[q++];
    if (g < 0 || value[g] !== v) value[++g] = v;
    if (fromPos) threats[g]++;
    else others[g]++;
  }
  return { value: value.subarray(0, g + 1), threats: threats.subarray(0, g + 1), others: others.subarray(0, g + 1) };
}

/** One point per distinct score value, from the highest (few flagged) to the lowest (all flagged). */
export function cutPoints(isThreat: ArrayLike<number>, score: ArrayLike<number>): { threshold: number; tp: number; fp: number }[] {
  const { value, threats, others } = scoreGroups(isThreat, score);
  const out: { threshold: number; tp: number; fp: number }[] = [];
  let tp = 0;
  let fp = 0;
  for (let g = value.length - 1; g >= 0; g--) {
    tp += threats[g];
    fp += others[g];
    out.push({ threshold: value[g], tp, fp });
  }
  return out;
}

/** Every `step`-th item, the first and the last kept: at most about `max` items. */
export function thin<T>(items: T[], max: number): T[] {
  if (items.length <= max) return items;
  const step = (items.length - 1) / (max - 1);
  const out: T[] = [];
  for (let j = 0; j < max; j++) out.push(items[Math.round(j * step)]);
  return out;
}

/** ROC and PR curves (at most `maxPoints` points each, default 200) of a threat score. */
export function threatCurves(isThreat: ArrayLike<number>, score: ArrayLike<number>, maxPoints = 200): ThreatCurves {
  const cuts = cutPoints(isThreat, score);
  const positives = cuts.at(-1)?.tp ?? 0;
  const negatives = cuts.at(-1)?.fp ?? 0;
  const roc = cuts.map((c) => ({ threshold: c.threshold, fpr: negatives ? c.fp / negatives : 0, tpr: positives ? c.tp / positives : 0 }));
  const pr = cuts.map((c) => ({ threshold: c.threshold, recall: positives ? c.tp / positives : 0, precision: c.tp / (c.tp + c.fp) }));
  return { roc: thin(roc, maxPoints), pr: thin(pr, maxPoints), positives, negatives };
}

/** Confusion counts and rates when `score >= threshold` flags a threat. */
export function confusionAt(isThreat: ArrayLike<number>, score: ArrayLike<number>, threshold: number): BinaryConfusion {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let i = 0; i < score.length; i++) {
    const flagged = score[i] >= threshold;
    if (isThreat[i]) {
      if (flagged) tp++;
      else fn++;
    } else if (flagged) fp++;
    else tn++;
  }
  const precision = tp + fp ? tp / (tp + fp) : 0;
  const recall = tp + fn ? tp / (tp + fn) : 0;
  return { threshold, tp, fp, tn, fn, precision, recall, fpr: fp + tn ? fp / (fp + tn) : 0, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0 };
}
