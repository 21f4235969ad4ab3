import type { DatasetSchema } from '../../schema/index.js';
import { UNKNOWN_CATEGORY } from '../data/dataset-builder.js';
import type { Column, Frame } from '../data/frame.js';
import { RecordEncoder } from '../data/record-encoder.js';
import { roundScore } from '../calibration/threat-score.js';
import type { Alert } from '../ports/alert-sink.js';
import { firedRules, type AlertLimits } from './alert-rules.js';
import type { FeedbackRecord } from './feedback-store.js';
import type { MonitorReference } from './monitor-reference.js';
import type { LoggedPrediction } from './prediction-log-format.js';
import type { TimeWindow } from './prediction-log-reader.js';
import { windowReportYielding, type WindowReport } from './window-report.js';
import { windowId, type MonitorWindow } from './window-store.js';

/** The category name a window's unseen categories are counted under (the reference never holds it). */
export const UNSEEN_CATEGORY = '(unseen)';

export interface EncodedWindow {
  frame: Frame;
  /** P(any threat class) from each row's logged probabilities. */
  scores: Float64Array;
  /** Cells holding a category the version was not trained on. */
  unknownCells: number;
}

/**
 * A window's logged rows as the version's schema encodes them (the serving encoder), with their
 * threat scores from the logged probabilities. Unseen categories are counted, and kept in the
 * frame as one more category (UNSEEN_CATEGORY) so that drift sees them rather than missing cells.
 */
export async function encodeWindow(schema: DatasetSchema, rows: readonly LoggedPrediction[], encoder = new RecordEncoder(schema)): Promise<EncodedWindow> {
  // In steps of 10,000 rows with the event loop let run between them (a 100k window encodes in about a second).
  const STEP = 10_000;
  const n = rows.length;
  const columns: Column[] = schema.features.map((spec) =>
    spec.kind === 'numeric' ? { kind: 'numeric', name: spec.name, values: new Float64Array(n) } : { kind: 'categorical', name: spec.name, codes: new Int32Array(n), categories: spec.values.map(String) },
  );
  let unknownCells = 0;
  for (let at = 0; at < n; at += STEP) {
    if (at) await new Promise((r) => setImmediate(r));
    const part = encoder.encode(rows.slice(at, at + STEP).map((r) => r.features));
    unknownCells += part.valueIssues.filter((i) => i.rule === 'allowed-values').length;
    for (const k of Object.values(part.unknown)) unknownCells += k;
    part.frame.columns.forEach((c, j) => {
      const into = columns[j];
      if (c.kind === 'numeric' && into.kind === 'numeric') into.values.set(c.values, at);
      else if (c.kind === 'categorical' && into.kind === 'categorical') into.codes.set(c.codes, at);
    });
  }
  for (const c of columns) {
    if (c.kind !== 'categorical') continue;
    let unseen = -1;
    for (let i = 0; i < n; i++) {
      if (c.codes[i] !== UNKNOWN_CATEGORY) continue;
      if (unseen < 0) unseen = c.categories.push(UNSEEN_CATEGORY) - 1;
      c.codes[i] = unseen;
    }
  }
  const threat = schema.label.threat.map(String);
  const scores = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const p = rows[i].probabilities;
    let s = 0;
    for (const k of threat) s += p[k] ?? 0;
    scores[i] = roundScore(s);
  }
  return { frame: { nRows: n, columns }, scores, unknownCells };
}

/** Per row: 1 a confirmed threat, 0 confirmed benign, -1 no feedback; undefined when no row has feedback. */
export function windowLabels(schema: DatasetSchema, rows: readonly LoggedPrediction[], feedback: ReadonlyMap<string, FeedbackRecord>): Int8Array | undefined {
  if (!feedback.size) return undefined;
  const threat = new Set(schema.label.threat.map(String));
  const labels = new Int8Array(rows.length).fill(-1);
  let any = false;
  for (let i = 0; i < rows.length; i++) {
    const f = feedback.get(rows[i].id);
    if (!f) continue;
    labels[i] = threat.has(f.label) ? 1 : 0;
    any = true;
  }
  return any ? labels : undefined;
}

export interface WindowComputation {
  model: string;
  version: number;
  span: TimeWindow;
  schema: DatasetSchema;
  /** The version's threshold now (its served verdicts). */
  threshold: number;
  reference: MonitorReference;
  rows: readonly LoggedPrediction[];
  feedback: ReadonlyMap<string, FeedbackRecord>;
  limits?: AlertLimits;
  /** The version's windows before this one, oldest first: drift rules must hold in `consecutive` windows in a row. */
  previous?: readonly WindowReport[];
  /** Windows with fewer rows never alert (their tests are noise). Default 1. */
  minRows?: number;
  now?: () => number;
}

/** One version's window: encoded, reported, checked against the alert rules (not stored). */
export async function computeWindow(c: WindowComputation): Promise<MonitorWindow> {
  const encoded = await encodeWindow(c.schema, c.rows);
  const report: WindowReport = await windowReportYielding({
    reference: c.reference.features,
    referenceMissing: c.reference.missing,
    referenceScores: c.reference.scores,
    current: encoded.frame,
    scores: encoded.scores,
    threshold: c.threshold,
    labels: windowLabels(c.schema, c.rows, c.feedback),
    unknownCells: encoded.unknownCells,
  });
  const alerts: Alert['rules'] = c.rows.length >= (c.minRows ?? 1) ? firedRules(report, c.reference.testF1, c.limits, c.previous) : [];
  return {
    id: windowId(c.span, c.version),
    model: c.model,
    version: c.version,
    fromMs: c.span.fromMs,
    toMs: c.span.toMs,
    createdAt: new Date((c.now ?? Date.now)()).toISOString(),
    testF1: c.reference.testF1,
    report,
    alerts,
  };
}

/** The alert a window raises (its id stable per model and window: a receiver drops repeats). */
export function windowAlert(w: MonitorWindow, now = Date.now()): Alert {
  return { id: `${w.model}:${w.id}`, model: w.model, modelVersion: w.version, windowId: w.id, rules: w.alerts, at: new Date(now).toISOString() };
}
