/** When a new model replaces production: it must beat it on `metric` by at least `minDelta`. */
export interface PromotionRule {
  metric: string;
  minDelta: number;
}

export type PromotionDecision = { promote: true; reason: string } | { promote: false; reason: string };

export function decidePromotion(rule: PromotionRule, candidate: Record<string, number>, production?: Record<string, number>): PromotionDecision {
  const c = candidate[rule.metric];
  if (c === undefined || Number.isNaN(c)) return { promote: false, reason: `candidate has no ${rule.metric}` };
  if (!production) return { promote: true, reason: 'no production model yet' };
  const p = production[rule.metric] ?? -Infinity;
  return c >= p + rule.minDelta
    ? { promote: true, reason: `${rule.metric} ${c.toFixed(4)} >= production ${p.toFixed(4)} + ${rule.minDelta}` }
    : { promote: false, reason: `${rule.metric} ${c.toFixed(4)} < production ${p.toFixed(4)} + ${rule.minDelta}: kept as a candidate` };
}
