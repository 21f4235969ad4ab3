import { takeRows, type Frame } from '../data/frame.js';
import type { Pipeline } from '../models/pipeline.js';
import { ExplainError, PipelineExplainer, type ExplainedOutput } from './explainer.js';

/** Test rows explained for a version's global importance at most (evenly spaced). */
export const IMPORTANCE_MAX_ROWS = 2000;

/** Mean |SHAP| per feature over test rows: what a version stores as its global importance. */
export interface GlobalImportance {
  output: ExplainedOutput;
  rows: number;
  /** Largest first. */
  features: { feature: string; meanAbs: number }[];
}

/**
 * Global importance of a pipeline: mean |contribution| of each feature over at most `maxRows`
 * of `frame` (evenly spaced, so the sample is the same on every run). Undefined for a family
 * that is not explained (MLP, KNN).
 */
export function globalImportance(pipeline: Pipeline, frame: Frame, maxRows = IMPORTANCE_MAX_ROWS): GlobalImportance | undefined {
  let explainer: PipelineExplainer;
  try {
    explainer = PipelineExplainer.for(pipeline);
  } catch (err) {
    if (err instanceof ExplainError) return undefined;
    throw err;
  }
  const n = frame.nRows;
  const take = Math.min(n, maxRows);
  const rows = take === n ? frame : takeRows(frame, Int32Array.from({ length: take }, (_, i) => Math.floor((i * n) / take)));
  const e = explainer.explain(rows, pipeline.predictProba(rows));
  const F = e.features.length;
  const sum = new Float64Array(F);
  for (let i = 0; i < take; i++) for (let j = 0; j < F; j++) sum[j] += Math.abs(e.phi[i * F + j]);
  const features = e.features.map((feature, j) => ({ feature, meanAbs: take ? sum[j] / take : 0 })).sort((a, b) => b.meanAbs - a.meanAbs);
  return { output: e.output, rows: take, features };
}
