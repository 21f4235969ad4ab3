import { z } from 'zod';
import { cronProblem } from './cron.js';

/** The queue of monitor jobs: one job scheduler per served model. */
export const MONITOR_QUEUE = 'monitor';

/** A monitor job's data: the model whose new windows it reports on. */
export const MonitorPayload = z.object({ model: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'a registry model name') });
export type MonitorPayload = z.infer<typeof MonitorPayload>;

/** What one monitor job did: the windows it stored (ids), the ones that alerted, and where it stopped. */
export const MonitorResult = z.object({
  model: z.string(),
  windows: z.array(z.string()),
  alerted: z.array(z.string()),
  /** The monitored time now reaches here (Unix ms); rows after it wait for a later job. */
  cursorMs: z.number().int(),
  /** Why the rows after the cursor wait, when some do (too few rows, too recent). */
  held: z.string().optional(),
});
export type MonitorResult = z.infer<typeof MonitorResult>;

/** When the monitor runs: every N ms, or on a cron pattern (UTC); undefined = off. */
export type MonitorEvery = { every: number } | { pattern: string } | undefined;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/**
 * TM_MONITOR_EVERY: `off`, a duration (`90s`, `5m`, `1h`, `500ms`; a bare number is ms, at least
 * 1,000) or a cron pattern of 5 or 6 fields (`*\/10 * * * *`, UTC).
 */
export const MonitorEverySchema = z
  .string()
  .trim()
  .transform((v, ctx): MonitorEvery => {
    if (v === 'off' || v === '0') return undefined;
    const d = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(v);
    if (d) {
      const ms = Math.round(Number(d[1]) * UNIT_MS[d[2] ?? 'ms']);
      if (ms >= 1_000) return { every: ms };
      ctx.addIssue({ code: 'custom', message: `${v} is under a second: give a duration such as 5m (a bare number is ms)` });
      return z.NEVER;
    }
    const problem = v.includes(' ') ? cronProblem(v) : `"${v}" is neither off, a duration (90s, 5m, 1h) nor a cron pattern`;
    if (!problem) return { pattern: v };
    ctx.addIssue({ code: 'custom', message: problem });
    return z.NEVER;
  });

const share = z.number().min(0).max(1);
/** Alert limits of one model (the keys of core/monitoring/alert-rules.ts `AlertLimits`); unknown keys are refused. */
export const AlertLimitsSchema = z
  .object({
    featureDriftShare: share,
    columnDriftFactor: z.number().positive(),
    predictionDrift: z.boolean(),
    consecutive: z.number().int().min(1).max(24),
    estimatedF1Drop: share,
    realisedF1Drop: share,
    realisedF1Sigmas: z.number().min(0),
    minLabelled: z.number().int().min(0),
    missingRate: share,
    unknownRate: share,
  })
  .partial()
  .strict();

/** TM_ALERT_LIMITS: JSON of per-model alert limits, `{"<model>": {"featureDriftShare": 0.3, ...}}`, over the fleet-wide ones. */
export const ModelAlertLimitsSchema = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'JSON of {"<model>": {<limit>: <value>}}' });
      return z.NEVER;
    }
  })
  .pipe(z.record(MonitorPayload.shape.model, AlertLimitsSchema));
