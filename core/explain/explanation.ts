import type { Frame } from '../data/frame.js';
import type { ExplainedOutput, ExplainedRows } from './explainer.js';

/** Contributions listed when the request asks `explain: true`. */
export const DEFAULT_TOP = 10;

export interface Contribution {
  feature: string;
  /** The value the row had (a category's name; null when missing). */
  value: number | string | null;
  contribution: number;
}

/** One row's explanation, as the API answers it. */
export interface Explanation {
  output: ExplainedOutput;
  /** The class whose output is explained. */
  class: string;
  /** The output with no feature known (the training expectation). */
  baseValue: number;
  /** The model's output for this row and class: baseValue + sum. */
  outputValue: number;
  /** Sum of every feature's contribution (the listed ones and the rest). */
  sum: number;
  /** The `top` largest by |contribution|, largest first. */
  contributions: Contribution[];
}

/** Per feature of the explanation, its frame column (or -1). */
export function frameColumnsOf(frame: Frame, features: string[]): Int32Array {
  return Int32Array.from(features, (f) => frame.columns.findIndex((c) => c.name === f));
}

/** Row `i`'s value of frame column `c` as the user sent it. */
export function valueAt(frame: Frame, c: number, i: number): number | string | null {
  const col = frame.columns[c];
  if (!col) return null;
  if (col.kind === 'numeric') return Number.isFinite(col.values[i]) ? col.values[i] : null;
  return col.categories[col.codes[i]] ?? null;
}

/** Feature indices of row `i` in order of |contribution|, largest first (ties by feature order), the first `top`. */
export function topFeatures(phi: Float64Array, F: number, i: number, top: number): number[] {
  const o = i * F;
  const order = Array.from({ length: F }, (_, j) => j);
  order.sort((a, b) => Math.abs(phi[o + b]) - Math.abs(phi[o + a]) || a - b);
  return order.slice(0, Math.min(top, F));
}

/** Row `i` of explained rows as the API's explanation, with its `top` largest contributions. */
export function explanationOf(rows: ExplainedRows, i: number, frame: Frame, frameCols: Int32Array, classes: string[], top: number): Explanation {
  const F = rows.features.length;
  let sum = 0;
  for (let j = 0; j < F; j++) sum += rows.phi[i * F + j];
  const contributions = topFeatures(rows.phi, F, i, top).map((j) => ({ feature: rows.features[j], value: valueAt(frame, frameCols[j], i), contribution: rows.phi[i * F + j] }));
  const baseValue = rows.base[i];
  return { output: rows.output, class: classes[rows.classOf[i]], baseValue, outputValue: baseValue + sum, sum, contributions };
}
