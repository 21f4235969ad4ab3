import { takeRows, type Frame } from '../data/frame.js';
import type { Pipeline } from '../models/pipeline.js';
import { ExplainError, PipelineExplainer, type ExplainedOutput } from './explainer.js';

/** Test rows explained for a version's global importance at most (evenly spaced). */
export const IMPORTANCE_MAX_ROWS = 500;
/** Time spent explaining them at most: a deep forest explains a few rows a second, and the register stage must stay bounded. */
export const IMPORTANCE_MAX_MS = 5_000;
/** Rows explained between two yields to the event loop (a queue worker renews its job lock meanwhile). */
const BLOCK_ROWS = 8;

/** Mean |SHAP| per feature over test rows: what a version stores as its global importance. */
export interface GlobalImportance {
  output: ExplainedOutput;
  rows: number;
  /** Largest first. */
  features: { feature: string; meanAbs: number }[];
}

/**
 * Global importance of a pipeline: mean |contribution| of each feature over at most `maxRows`
 * of `frame` (evenly spaced, so the sample is the same on every run), explained in small blocks
 * that yield to the event loop, and for at most `maxMs` (then over the rows explained so far,
 * which `rows` reports). Undefined for a family that is not explained (MLP, KNN).
 */
export async function globalImportance(pipeline: Pipeline, frame: Frame, maxRows = IMPORTANCE_MAX_ROWS, maxMs = IMPORTANCE_MAX_MS): Promise<GlobalImportance | undefined> {
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
  const F = explainer.features.length;
  const sum = new Float64Array(F);
  const stop = Date.now() + maxMs;
  let done = 0;
  while (done < take && (done === 0 || Date.now() < stop)) {
    const block = takeRows(rows, Int32Array.from({ length: Math.min(BLOCK_ROWS, take - done) }, (_, i) => done + i));
    const e = explainer.explain(block, pipeline.predictProba(block));
    for (let i = 0; i < block.nRows; i++) for (let j = 0; j < F; j++) sum[j] += Math.abs(e.phi[i * F + j]);
    done += block.nRows;
    await new Promise((r) => setImmediate(r));
  }
  const features = explainer.features.map((feature, j) => ({ feature, meanAbs: done ? sum[j] / done : 0 })).sort((a, b) => b.meanAbs - a.meanAbs);
  return { output: explainer.output, rows: done, features };
}
