import type { CalibrationSetting } from '../../schema/run-config.js';
import { encodeOutOfFold } from '../decision/oof-codec.js';
import { brierScore, expectedCalibrationError } from '../metrics/calibration-metrics.js';
import type { OofScores } from '../tuning/grid-search.js';
import { CALIBRATION_METHODS, chooseCalibration, type ThreatCalibrator } from './calibrator.js';

/** ECE bins used throughout (reports, manifests, MLflow). */
export const ECE_BINS = 15;

export interface FamilyCalibration {
  calibrator?: ThreatCalibrator;
  summary: { method: string; brier: number; ece: number; rawBrier: number; rawEce: number; tried: Record<string, number | null> };
  /** The out-of-fold artifact: raw scores and the same through the served calibrator, outcomes, folds. */
  oofBytes: Uint8Array;
}

/**
 * Calibration of one family's out-of-fold threat scores by the run's setting (`auto`: the method
 * with the lowest cross-fitted Brier score, if lower than the raw one; a named method: that one,
 * under the same condition; `none`), with the Brier score and ECE before and after.
 */
export function calibrateFamily(oof: OofScores, threatClasses: number[], setting: CalibrationSetting): FamilyCalibration {
  const methods = setting === 'auto' ? CALIBRATION_METHODS : setting === 'none' ? [] : [setting];
  const choice = chooseCalibration(oof.isThreat, oof.score, oof.fold, threatClasses, methods);
  const rawBrier = brierScore(oof.isThreat, oof.score);
  const rawEce = expectedCalibrationError(oof.isThreat, oof.score, ECE_BINS);
  return {
    calibrator: choice.calibrator,
    summary: {
      method: choice.method,
      brier: brierScore(oof.isThreat, choice.scores),
      ece: expectedCalibrationError(oof.isThreat, choice.scores, ECE_BINS),
      rawBrier,
      rawEce,
      tried: choice.brier,
    },
    // Thresholds are chosen on the scores as served: the final calibrator's values (its steps are the
    // values served scores take), not the cross-fitted ones (whose steps differ fold by fold).
    oofBytes: encodeOutOfFold({ score: oof.score, calibrated: choice.calibrator ? oof.score.map((s) => choice.calibrator!.score(s)) : oof.score, isThreat: oof.isThreat, fold: oof.fold }),
  };
}
