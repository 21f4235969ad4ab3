import type { Frame } from '../data/frame.js';
import { rocAuc } from '../metrics/ranking.js';
import { prepareReference, preparedDriftReport, type DriftOptions, type DriftReport, type PreparedReference } from '../validation/drift/drift-report.js';
import { estimatePerformance, type EstimatedPerformance } from './estimated-performance.js';

/** What the monitor knows about one window of served traffic. */
export interface WindowInput {
  /**
   * Training rows the model was fitted on (or a sample): the drift reference, best prepared once
   * (prepareReference) so that a window sorts only its own columns. Absent (a version imported
   * without its training rows): feature drift is skipped, and the report says why.
   */
  reference?: Frame | PreparedReference;
  /** Why there is no reference (shown in the report). */
  referenceMissing?: string;
  /** Threat scores of held-out rows at training time: the prediction-drift reference (absent: skipped). */
  referenceScores?: Float64Array;
  /** The window's features as sent (categorical columns use the reference's category names). */
  current: Frame;
  /** The window's served threat scores (calibrated), one per row of `current`. */
  scores: Float64Array;
  /** The version's decision threshold on the threat score. */
  threshold: number;
  /** Per row: 1 a confirmed threat, 0 confirmed benign, -1 no feedback yet. */
  labels?: Int8Array;
  /** Cells whose category was never seen in training (counted when the rows were encoded). */
  unknownCells?: number;
}

export interface RealisedPerformance {
  labelled: number;
  /** Share of the window's rows with feedback. */
  coverage: number;
  precision: number;
  recall: number;
  f1: number;
  rocAuc: number;
}

export interface WindowReport {
  rows: number;
  /** Per-feature drift against the training reference (the core drift tests, Evidently's choice). */
  features: Pick<DriftReport, 'driftedColumns' | 'share' | 'drifted'> & {
    columns: { column: string; test: string; score: number; threshold: number; drifted: boolean }[];
    /** Why feature drift was not measured (no training rows for this version). */
    skipped?: string;
  };
  prediction: { test: string; score: number; threshold: number; drifted: boolean; threatShare: number; referenceThreatShare: number; skipped?: string };
  missingRate: number;
  unknownRate: number;
  estimated: EstimatedPerformance;
  realised?: RealisedPerformance;
}

/** Feature drift, prediction drift, data quality, estimated and (with feedback) realised performance of one window. */
export function windowReport(input: WindowInput, opts: DriftOptions = {}): WindowReport {
  return { ...restOfReport(input, opts), features: featureDrift(input, opts) };
}

/**
 * windowReport in steps of a few features, letting the event loop run between them: a worker's
 * timers (BullMQ lock renewal) keep running through a 100k-row window.
 */
export async function windowReportYielding(input: WindowInput, opts: DriftOptions = {}, featuresPerStep = 4): Promise<WindowReport> {
  const rest = restOfReport(input, opts);
  if (!input.reference) return { ...rest, features: featureDrift(input, opts) };
  const reference = isPrepared(input.reference) ? input.reference : prepareReference(input.reference);
  const columns: WindowReport['features']['columns'] = [];
  for (let at = 0; at < reference.columns.length; at += featuresPerStep) {
    await new Promise((r) => setImmediate(r));
    const step = reference.columns.slice(at, at + featuresPerStep);
    const names = new Set(step.map((c) => c.name));
    const current = { nRows: input.current.nRows, columns: input.current.columns.filter((c) => names.has(c.name)) };
    for (const c of featureDrift({ ...input, current, reference: { ...reference, columns: step } }, opts).columns) columns.push(c);
  }
  const driftedColumns = columns.filter((c) => c.drifted).length;
  const share = columns.length ? driftedColumns / columns.length : 0;
  return { ...rest, features: { driftedColumns, share, drifted: share >= (opts.datasetShare ?? 0.5), columns } };
}

function restOfReport(input: WindowInput, opts: DriftOptions): Omit<WindowReport, 'features'> {
  const { current, scores, threshold } = input;
  if (scores.length !== current.nRows) throw new Error(`window: ${scores.length} scores for ${current.nRows} rows`);
  const cells = current.nRows * current.columns.length;
  let missing = 0;
  for (const c of current.columns) {
    if (c.kind === 'numeric') for (const v of c.values) missing += v !== v ? 1 : 0;
    else for (const code of c.codes) missing += code < 0 ? 1 : 0;
  }
  return {
    rows: current.nRows,
    prediction: predictionDrift(input, opts),
    missingRate: cells ? missing / cells : 0,
    unknownRate: cells ? (input.unknownCells ?? 0) / cells : 0,
    estimated: estimatePerformance(scores, threshold),
    realised: input.labels ? realisedPerformance(scores, input.labels, threshold) : undefined,
  };
}

const isPrepared = (r: Frame | PreparedReference): r is PreparedReference => 'prepared' in r;

function featureDrift(input: WindowInput, opts: DriftOptions): WindowReport['features'] {
  if (!input.reference) return { driftedColumns: 0, share: 0, drifted: false, columns: [], skipped: input.referenceMissing ?? 'no training rows for this version' };
  const reference = isPrepared(input.reference) ? input.reference : prepareReference(input.reference);
  const drift = preparedDriftReport(reference, input.current, opts);
  return {
    driftedColumns: drift.driftedColumns,
    share: drift.share,
    drifted: drift.drifted,
    columns: drift.columns.map((c) => ({ column: c.column, test: c.test, score: c.score, threshold: c.threshold, drifted: c.drifted })),
  };
}

function predictionDrift(input: WindowInput, opts: DriftOptions): WindowReport['prediction'] {
  const { scores, threshold, referenceScores } = input;
  const threatShare = flaggedShare(scores, threshold);
  if (!referenceScores?.length) return { test: 'none', score: NaN, threshold: NaN, drifted: false, threatShare, referenceThreatShare: NaN, skipped: input.referenceMissing ?? 'no test-row scores for this version' };
  const asFrame = (values: Float64Array): Frame => ({ nRows: values.length, columns: [{ kind: 'numeric', name: 'threat_score', values }] });
  const d = preparedDriftReport(prepareReference(asFrame(referenceScores)), asFrame(scores), { ...opts, maxCategoricalValues: 0 }).columns[0];
  return { test: d.test, score: d.score, threshold: d.threshold, drifted: d.drifted, threatShare, referenceThreatShare: flaggedShare(referenceScores, threshold) };
}

function flaggedShare(scores: Float64Array, threshold: number): number {
  let n = 0;
  for (const s of scores) if (s >= threshold) n++;
  return scores.length ? n / scores.length : NaN;
}

/** Precision, recall, F1 and ROC-AUC on the rows that have feedback; undefined when none has. */
export function realisedPerformance(scores: Float64Array, labels: Int8Array, threshold: number): RealisedPerformance | undefined {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let labelled = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] < 0) continue;
    labelled++;
    const flagged = scores[i] >= threshold;
    if (labels[i] === 1 && flagged) tp++;
    else if (labels[i] === 1) fn++;
    else if (flagged) fp++;
  }
  if (!labelled) return undefined;
  const isThreat: boolean[] = [];
  const labelledScores: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] < 0) continue;
    isThreat.push(labels[i] === 1);
    labelledScores.push(scores[i]);
  }
  return {
    labelled,
    coverage: labelled / labels.length,
    precision: tp + fp ? tp / (tp + fp) : NaN,
    recall: tp + fn ? tp / (tp + fn) : NaN,
    f1: tp ? (2 * tp) / (2 * tp + fp + fn) : 0,
    rocAuc: rocAuc(isThreat, labelledScores),
  };
}
