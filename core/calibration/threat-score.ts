/**
 * A sum of class probabilities rounded to 12 decimals: 1/3 + 2/3 and a leaf's 1 are then the same
 * score, so that thresholds and calibrator steps chosen on some rows hold for others.
 */
export const roundScore = (s: number): number => Math.round(s * 1e12) / 1e12;

/** The threat score: P(any threat class), from class probabilities (rows x K, row-major). */
export function threatScores(proba: Float64Array, K: number, threatClasses: readonly number[]): Float64Array {
  const n = proba.length / K;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (const k of threatClasses) s += proba[i * K + k];
    out[i] = roundScore(s);
  }
  return out;
}

/** 1 where the class index is a threat class, else 0. */
export function threatOutcomes(labels: Int32Array, threatClasses: readonly number[]): Uint8Array {
  const set = new Set(threatClasses);
  return Uint8Array.from(labels, (y) => (set.has(y) ? 1 : 0));
}

/** Indices into `classes` of the schema's threat classes (compared as text). */
export function threatIndices(classes: readonly string[], threat: readonly unknown[]): number[] {
  const set = new Set(threat.map(String));
  return classes.flatMap((c, k) => (set.has(c) ? [k] : []));
}
