import type { Frame } from '../data/frame.js';
import { isMissing } from '../data/frame.js';
import { rocAuc } from '../metrics/ranking.js';
import { driftReport, type DriftOptions, type DriftReport } from '../validation/drift/drift-report.js';
import { estimatePerformance, type EstimatedPerformance } from './estimated-performance.js';

/** What the monitor knows about one window of served traffic. */
export interface WindowInput {
  /** Training rows the model was fitted on (or a sample): the drift reference. */
  reference: Frame;
  /** Threat scores of held-out rows at training time: the prediction-drift reference. */
  referenceScores: Float64Array;
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
  features: Pick<DriftReport, 'driftedColumns' | 'share' | 'drifted'> & { columns: { column: string; test: string; score: number; threshold: number; drifted: boolean }[] };
  prediction: { test: string; score: number; threshold: number; drifted: boolean; threatShare: number; referenceThreatShare: number };
  missingRate: number;
  unknownRate: number;
  estimated: EstimatedPerformance;
  realised?: RealisedPerformance;
}

/** Feature drift, prediction drift, data quality, estimated and (with feedback) realised performance of one window. */
export function windowReport(input: WindowInput, opts: DriftOptions = {}): WindowReport {
  const { current, scores, threshold } = input;
  if (scores.length !== current.nRows) throw new Error(`window: ${scores.length} scores for ${current.nRows} rows`);
  const drift = driftReport(input.reference, current, opts);
  const asFrame = (values: Float64Array): Frame => ({ nRows: values.length, columns: [{ kind: 'numeric', name: 'threat_score', values }] });
  const scoreDrift = driftReport(asFrame(input.referenceScores), asFrame(scores), { ...opts, maxCategoricalValues: 0 }).columns[0];
  const cells = current.nRows * current.columns.length;
  let missing = 0;
  for (const c of current.columns) for (let i = 0; i < current.nRows; i++) if (isMissing(c, i)) missing++;
  return {
    rows: current.nRows,
    features: {
      driftedColumns: drift.driftedColumns,
      share: drift.share,
      drifted: drift.drifted,
      columns: drift.columns.map((c) => ({ column: c.column, test: c.test, score: c.score, threshold: c.threshold, drifted: c.drifted })),
    },
    prediction: {
      test: scoreDrift.test,
      score: scoreDrift.score,
      threshold: scoreDrift.threshold,
      drifted: scoreDrift.drifted,
      threatShare: flaggedShare(scores, threshold),
      referenceThreatShare: flaggedShare(input.referenceScores, threshold),
    },
    missingRate: cells ? missing / cells : 0,
    unknownRate: cells ? (input.unknownCells ?? 0) / cells : 0,
    estimated: estimatePerformance(scores, threshold),
    realised: input.labels ? realisedPerformance(scores, input.labels, threshold) : undefined,
  };
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
