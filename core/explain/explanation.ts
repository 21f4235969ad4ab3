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

/** Largest `top` picked by insertion up to this many (F x top steps at most); a full sort past it. */
const INSERTION_TOP = 32;

/** Feature indices of row `i` in order of |contribution|, largest first (ties by feature order), the first `top`. */
export function topFeatures(phi: Float64Array, F: number, i: number, top: number): number[] {
  const o = i * F;
  const k = Math.min(top, F);
  if (k <= INSERTION_TOP) {
    const picked = insertionTop(phi, o, F, k);
    if (picked) return picked;
  }
  const order = Array.from({ length: F }, (_, j) => j);
  order.sort((a, b) => Math.abs(phi[o + b]) - Math.abs(phi[o + a]) || a - b);
  return order.slice(0, k);
}

/**
 * The `k` largest |phi[o + j]| (ties by feature order) kept in order while scanning once: no
 * array of every feature, no sort. Undefined when the row holds a NaN, whose order only the
 * sort above defines.
 */
function insertionTop(phi: Float64Array, o: number, F: number, k: number): number[] | undefined {
  const idx: number[] = [];
  const size: number[] = [];
  for (let j = 0; j < F; j++) {
    const a = Math.abs(phi[o + j]);
    if (a !== a) return undefined;
    // Earlier features win ties, so j goes after every kept size >= a.
    if (idx.length === k && a <= size[k - 1]) continue;
    let at = idx.length === k ? k - 1 : idx.length;
    while (at > 0 && size[at - 1] < a) {
      idx[at] = idx[at - 1];
      size[at] = size[at - 1];
      at--;
    }
    idx[at] = j;
    size[at] = a;
  }
  return idx;
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

/** Every explained row's explanation as JSON text (the API's answer for it), with its `top` largest contributions. */
export function explanationTexts(rows: ExplainedRows, frame: Frame, frameCols: Int32Array, classes: string[], top: number): string[] {
  const out = new Array<string>(rows.base.length);
  for (let i = 0; i < out.length; i++) out[i] = JSON.stringify(explanationOf(rows, i, frame, frameCols, classes, top));
  return out;
}
