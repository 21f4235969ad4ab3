import type { ThresholdRule } from '../../schema/run-config.js';
import { confusionAt, cutPoints, type BinaryConfusion } from '../metrics/threat-curves.js';

/**
 * How the threat threshold is chosen (`score >= threshold` is a threat): the maximum F1 (default),
 * the most recall whose false-positive rate stays <= `maxFalsePositiveRate`, the fewest false
 * alarms with recall >= `minRecall`, or the most recall with precision >= `minPrecision`.
 */
export type { ThresholdRule };

export const DEFAULT_RULE: ThresholdRule = { maxF1: true };

export interface ChosenThreshold {
  threshold: number;
  rule: ThresholdRule;
  /** Whether the rule's bound could be met on these rows (else the nearest threshold is taken, and `note` says so). */
  met: boolean;
  note?: string;
  /** On the rows it was chosen on. */
  at: BinaryConfusion;
}

/** `maxFalsePositiveRate 0.01`, `max F1`: the rule in words (logs, audit entries). */
export function ruleText(rule: ThresholdRule): string {
  if ('maxF1' in rule) return 'max F1';
  const [k, v] = Object.entries(rule)[0];
  return `${k} ${String(v)}`;
}

/** Just above `s`: a threshold that flags nothing scored `s`. */
const above = (s: number) => s + Math.max(1e-12, Math.abs(s) * 1e-12);

/** Chooses a threshold on scored rows with known outcomes (1 = threat) by `rule`. */
export function chooseThreshold(isThreat: ArrayLike<number>, score: ArrayLike<number>, rule: ThresholdRule = DEFAULT_RULE): ChosenThreshold {
  const cuts = cutPoints(isThreat, score);
  if (!cuts.length) throw new RangeError('no scored rows to choose a threshold on');
  const P = cuts.at(-1)!.tp;
  const N = cuts.at(-1)!.fp;
  const done = (threshold: number, met = true, note?: string): ChosenThreshold => ({ threshold, rule, met, note, at: confusionAt(isThreat, score, threshold) });
  // A cut's threshold sits halfway to the next lower score: served scores that differ from these
  // rows' in the last bits (a calibrated score summed from rescaled class probabilities) fall the same side.
  const at = (i: number) => (i + 1 < cuts.length ? (cuts[i].threshold + cuts[i + 1].threshold) / 2 : cuts[i].threshold - Math.max(1e-12, Math.abs(cuts[i].threshold) * 1e-12));
  const f1 = (c: { tp: number; fp: number }) => (c.tp ? (2 * c.tp) / (2 * c.tp + c.fp + (P - c.tp)) : 0);
  if ('maxF1' in rule) {
    let best = 0;
    cuts.forEach((c, i) => f1(c) > f1(cuts[best]) && (best = i));
    return done(at(best));
  }
  if ('maxFalsePositiveRate' in rule) {
    // Cuts go from few flagged to all flagged: the last one within the bound flags the most.
    let chosen = -1;
    cuts.forEach((c, i) => (N ? c.fp / N : 0) <= rule.maxFalsePositiveRate && (chosen = i));
    return chosen < 0 ? done(above(cuts[0].threshold), true, 'even the highest score breaks the bound: nothing is flagged') : done(at(chosen));
  }
  if ('minRecall' in rule) {
    const i = cuts.findIndex((c) => (P ? c.tp / P : 0) >= rule.minRecall);
    return i >= 0 ? done(at(i)) : done(at(cuts.length - 1), false, 'no threshold reaches the recall: every row is flagged');
  }
  let chosen = -1;
  cuts.forEach((c, i) => c.tp / (c.tp + c.fp) >= rule.minPrecision && (chosen = i));
  return chosen < 0 ? done(above(cuts[0].threshold), false, 'no threshold reaches the precision: nothing is flagged') : done(at(chosen));
}
