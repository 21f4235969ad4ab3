import type { PairedBootstrapResult } from '../metrics/paired-bootstrap.js';
import type { PromotionMetric } from '../metrics/weighted-metrics.js';

/**
 * When a new model replaces production: on the test rows production was not trained on, the
 * candidate's `metric` minus production's must be at least `minDelta` and, with `confidence` > 0,
 * the lower bound of its one-sided paired-bootstrap interval must be above 0 (so a tie never
 * promotes). With `confidence` 0 only the difference counts, and it must still be above 0.
 */
export interface PromotionRule {
  metric: PromotionMetric;
  minDelta: number;
  /** One-sided confidence of the bootstrap bound (TM_PROMOTION_CONFIDENCE). Default 0.95; 0 = difference only. */
  confidence?: number;
  /** Fewest test rows a comparison may use (TM_PROMOTION_MIN_ROWS). Default 100. */
  minRows?: number;
  /** Bootstrap resamples. Default 1,000. */
  resamples?: number;
}

export const DEFAULT_CONFIDENCE = 0.95;
export const DEFAULT_MIN_ROWS = 100;

/** How the candidate fared against production, or why they could not be compared. */
export type ChampionComparison =
  | ({ version: number; testRows: number } & PairedBootstrapResult)
  | { version: number; testRows: number; rows: number; refused: string };

export type PromotionDecision = { promote: true; reason: string } | { promote: false; reason: string };

const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(4)}`;

export function decidePromotion(rule: PromotionRule, candidate: Record<string, number>, comparison?: ChampionComparison): PromotionDecision {
  const c = candidate[rule.metric];
  if (c === undefined || Number.isNaN(c)) return { promote: false, reason: `candidate has no ${rule.metric}` };
  if (!comparison) return { promote: true, reason: 'no production model yet' };
  const v = comparison.version;
  if ('refused' in comparison) return { promote: false, reason: `not promoted: ${comparison.refused}` };
  const confidence = rule.confidence ?? DEFAULT_CONFIDENCE;
  const where = `on ${comparison.rows} of ${comparison.testRows} test rows outside v${v}'s training rows`;
  const measured = `${rule.metric} ${signed(comparison.difference)} (${comparison.candidate.toFixed(4)} vs production v${v} ${comparison.champion.toFixed(4)}) ${where}`;
  if (confidence === 0) {
    const ok = comparison.difference > 0 && comparison.difference >= rule.minDelta;
    return { promote: ok, reason: `${measured}; rule: difference > 0 and >= minDelta ${rule.minDelta}: ${ok ? 'promoted' : 'kept as a candidate'}` };
  }
  const bound = Number.isNaN(comparison.lower)
    ? `no ${Math.round(confidence * 100)}% bound (${rule.metric} undefined in most resamples)`
    : `${Math.round(confidence * 1000) / 10}% one-sided lower bound ${signed(comparison.lower)} (paired bootstrap, ${comparison.resamples} resamples of ${comparison.resampledRows} rows)`;
  const ok = comparison.lower > 0 && comparison.difference >= rule.minDelta;
  return { promote: ok, reason: `${measured}; ${bound}; rule: lower bound > 0 and difference >= minDelta ${rule.minDelta}: ${ok ? 'promoted' : 'kept as a candidate'}` };
}
