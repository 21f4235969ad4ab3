import { z } from 'zod';
import { RunSpec } from './jobs.js';

/** Windows one GET /v1/monitoring/{model} answers with at most (the newest are kept). Default `limit`. */
export const DEFAULT_MONITOR_WINDOWS = 500;
/** The largest `limit` a caller may ask for: each window is one read of the artifact store. */
export const MAX_MONITOR_WINDOWS = 2_000;
/** The span GET /v1/monitoring/{model} covers without `from`: the last 24 hours. */
export const DEFAULT_MONITOR_SPAN_MS = 24 * 3_600_000;

/** A model name as the registry and the window store accept it (a path segment). */
export const MonitorModelName = RunSpec.shape.modelName;

// A stored report holds NaN where a figure is undefined (no rows, no flagged row): JSON writes null.
const figure = z.number().nullable();

/** One alert rule a window broke, with its measured value and limit. */
export const FiredRule = z.object({ rule: z.string(), value: figure, limit: figure, message: z.string() });

/** What the monitor did about a window's alerts. */
export const WindowAction = z.object({ kind: z.literal('retrain'), runId: z.string(), feedbackRows: z.number().int() });

/** A window in a time series: what a table row or a chart point needs, without the per-feature tests. */
export const MonitorWindowSummary = z.object({
  id: z.string().describe('The window id: <from ms>-<to ms>-v<version>'),
  version: z.number().int(),
  fromMs: z.number().int().describe('Start of the window (Unix ms, included)'),
  toMs: z.number().int().describe('End of the window (Unix ms, excluded)'),
  createdAt: z.string(),
  rows: z.number().int(),
  driftShare: figure.describe('Share of features whose drift test fired; null when feature drift was not measured'),
  driftedFeatures: z.array(z.string()),
  predictionDrift: z.object({ drifted: z.boolean(), test: z.string(), score: figure, threshold: figure }).nullable(),
  threatShare: figure.describe('Share of rows flagged as threats'),
  referenceThreatShare: figure,
  estimatedF1: z
    .object({ value: figure, se: figure, lower: figure, upper: figure })
    .describe('F1 estimated from calibrated scores without labels (CBPE), with its 95 % interval (value ± 1.96 se, within [0, 1])'),
  realised: z
    .object({ f1: figure, precision: figure, recall: figure, labelled: z.number().int(), coverage: figure })
    .nullable()
    .describe("Measured on the window's rows with feedback; null when none has"),
  testF1: figure.describe("The version's test F1 at registration (the F1 rules' baseline)"),
  alerts: z.array(FiredRule).describe('The alert rules the window broke (empty: no alert)'),
  action: WindowAction.nullable(),
});
export type MonitorWindowSummary = z.infer<typeof MonitorWindowSummary>;

/** What GET /v1/monitoring/{model} answers. */
export const MonitorSeries = z.object({
  model: z.string(),
  fromMs: z.number().int(),
  toMs: z.number().int(),
  /** Oldest first. */
  windows: z.array(MonitorWindowSummary),
  /** True when more windows overlap the span than `limit`: the oldest were left out. */
  truncated: z.boolean(),
  /** Windows overlapping the span, including those left out. */
  total: z.number().int(),
});
export type MonitorSeries = z.infer<typeof MonitorSeries>;

const Estimated = z.object({ value: figure, se: figure });

/** A stored window as the monitor wrote it (core/monitoring/window-store.ts); later fields pass through. */
export const MonitorWindowDetail = z.looseObject({
  id: z.string(),
  model: z.string(),
  version: z.number().int(),
  fromMs: z.number().int(),
  toMs: z.number().int(),
  createdAt: z.string(),
  testF1: figure,
  report: z.looseObject({
    rows: z.number().int(),
    features: z
      .looseObject({
        driftedColumns: z.number().int(),
        share: figure,
        drifted: z.boolean(),
        columns: z.array(z.object({ column: z.string(), test: z.string(), score: figure, threshold: figure, drifted: z.boolean() })),
      })
      .optional(),
    prediction: z.looseObject({ test: z.string(), score: figure, threshold: figure, drifted: z.boolean(), threatShare: figure, referenceThreatShare: figure }).optional(),
    missingRate: figure.optional(),
    unknownRate: figure.optional(),
    estimated: z
      .looseObject({ rows: z.number().int(), flaggedShare: figure, expectedThreatShare: figure, precision: Estimated, recall: Estimated, f1: Estimated, accuracy: Estimated, rocAuc: figure })
      .optional(),
    realised: z.looseObject({ labelled: z.number().int(), coverage: figure, precision: figure, recall: figure, f1: figure, rocAuc: figure }).optional(),
  }),
  alerts: z.array(FiredRule),
  action: WindowAction.optional(),
});
