import { z } from 'zod';
import { brierScore } from '../metrics/calibration-metrics.js';
import { applyIsotonic, fitIsotonic } from './isotonic.js';
import { applyPlatt, fitPlatt } from './platt.js';
import { roundScore } from './threat-score.js';

export const CALIBRATION_METHODS = ['isotonic', 'platt'] as const;
export type CalibrationMethod = (typeof CALIBRATION_METHODS)[number];

export const CalibratorJSON = z.object({
  kind: z.literal('threat-calibrator'),
  version: z.literal(1),
  method: z.enum(CALIBRATION_METHODS),
  /** Class indices whose probabilities make up the threat score. */
  threatClasses: z.array(z.number().int().nonnegative()).min(1),
  state: z.union([z.object({ x: z.array(z.number()), y: z.array(z.number()) }), z.object({ a: z.number(), b: z.number() })]),
});
export type CalibratorJSON = z.infer<typeof CalibratorJSON>;

/**
 * Maps the threat score P(any threat class) to a calibrated one and rescales the class
 * probabilities to match: the threat classes share the calibrated score in their original
 * proportions, the other classes share the rest in theirs (binary: p and 1 - p). Rows still sum to 1.
 */
export class ThreatCalibrator {
  private constructor(private readonly json: CalibratorJSON) {}

  static fit(method: CalibrationMethod, isThreat: ArrayLike<number>, score: ArrayLike<number>, threatClasses: number[]): ThreatCalibrator {
    const state = method === 'isotonic' ? fitIsotonic(isThreat, score) : fitPlatt(isThreat, score);
    return new ThreatCalibrator({ kind: 'threat-calibrator', version: 1, method, threatClasses, state });
  }

  static fromJSON(json: unknown): ThreatCalibrator {
    return new ThreatCalibrator(CalibratorJSON.parse(json));
  }

  get method(): CalibrationMethod {
    return this.json.method;
  }

  toJSON(): CalibratorJSON {
    return this.json;
  }

  score(s: number): number {
    const st = this.json.state;
    const p = 'a' in st ? applyPlatt(st, s) : applyIsotonic(st, s);
    return Math.min(1, Math.max(0, p));
  }

  /** Calibrates class probabilities in place (rows x K). */
  applyTo(proba: Float64Array, K: number): Float64Array {
    const threat = this.json.threatClasses;
    const isThreat = new Uint8Array(K);
    for (const k of threat) isThreat[k] = 1;
    for (let o = 0; o < proba.length; o += K) {
      let s = 0;
      for (const k of threat) s += proba[o + k];
      s = roundScore(s);
      const c = this.score(s);
      const up = s > 0 ? c / s : 0;
      const down = s < 1 ? (1 - c) / (1 - s) : 0;
      for (let k = 0; k < K; k++) proba[o + k] *= isThreat[k] ? up : down;
      // A group with no mass (s = 0 or 1) gets its share spread evenly.
      if (s <= 0) for (const k of threat) proba[o + k] = c / threat.length;
      if (s >= 1) for (let k = 0; k < K; k++) if (!isThreat[k]) proba[o + k] = (1 - c) / (K - threat.length);
    }
    return proba;
  }
}

export interface CalibrationChoice {
  /** The method kept, or `none` when no calibration lowered the cross-fitted Brier score. */
  method: CalibrationMethod | 'none';
  /** OOF Brier score of the raw score, and of each method tried (cross-fitted). */
  brier: Record<'none' | CalibrationMethod, number | null>;
  /** The cross-fitted calibrated OOF scores of the method kept (the raw scores when none). */
  scores: Float64Array;
  /** Fitted on every OOF row, for serving; absent when none was kept. */
  calibrator?: ThreatCalibrator;
}

/**
 * Chooses a calibration of out-of-fold threat scores honestly: each fold's scores are calibrated
 * by a calibrator fitted on the other folds' rows (cross-fitting), and a method is kept only when
 * its cross-fitted Brier score is lower than the raw score's. Needs at least two folds.
 */
export function chooseCalibration(
  isThreat: Uint8Array,
  score: Float64Array,
  fold: Uint8Array,
  threatClasses: number[],
  methods: readonly CalibrationMethod[] = CALIBRATION_METHODS,
): CalibrationChoice {
  const raw = brierScore(isThreat, score);
  const brier: CalibrationChoice['brier'] = { none: raw, isotonic: null, platt: null };
  let best: CalibrationChoice = { method: 'none', brier, scores: score };
  if (new Set(fold).size < 2) return best;
  // Each fold's fitting rows (the other folds'), gathered once with plain loops for every method.
  const foldIds = [...new Set(fold)];
  const fitSets = foldIds.map((f) => {
    let m = 0;
    for (let i = 0; i < fold.length; i++) if (fold[i] !== f) m++;
    const y = new Uint8Array(m);
    const s = new Float64Array(m);
    for (let i = 0, j = 0; i < fold.length; i++) {
      if (fold[i] === f) continue;
      y[j] = isThreat[i];
      s[j++] = score[i];
    }
    return { f, y, s };
  });
  for (const method of methods) {
    const crossFitted = new Float64Array(score.length);
    for (const { f, y, s } of fitSets) {
      const c = ThreatCalibrator.fit(method, y, s, threatClasses);
      for (let i = 0; i < score.length; i++) if (fold[i] === f) crossFitted[i] = c.score(score[i]);
    }
    brier[method] = brierScore(isThreat, crossFitted);
    if (brier[method] < (best.method === 'none' ? raw : brier[best.method]!)) best = { method, brier, scores: crossFitted };
  }
  if (best.method !== 'none') best.calibrator = ThreatCalibrator.fit(best.method, isThreat, score, threatClasses);
  return best;
}
