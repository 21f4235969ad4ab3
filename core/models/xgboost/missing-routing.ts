import type { CategorySplit, Tree } from '../tree/tree-buffer.js';
import { float32Above } from './float32.js';

/**
 * The Forest kernel sends a missing value (NaN) left at every numeric node. A node whose
 * `defaultLeft` is false is rewritten on a negated copy of its feature with its children swapped:
 * -x <= -c goes left exactly when x >= c (XGBoost's right branch) and NaN still goes left, now
 * into that right branch. `negated[f]` is the column holding -x for feature f (-1 when no node
 * needs it); `negatedColumns` lists those features in column order after the `cols` inputs.
 */
export interface MissingRouting {
  trees: Tree[];
  negatedColumns: number[];
}

/** Trees that route NaN as `defaultLeft` says on the Forest kernel, with the columns they add; null when every node already sends NaN left. */
export function missingRouting(trees: Tree[], cols: number): MissingRouting | null {
  const negated = new Int32Array(cols).fill(-1);
  const negatedColumns: number[] = [];
  for (const t of trees) {
    t.feature.forEach((f, i) => {
      if (f >= 0 && !t.categories?.[i] && t.defaultLeft?.[i] === false && negated[f] < 0) {
        negated[f] = cols + negatedColumns.length;
        negatedColumns.push(f);
      }
    });
  }
  if (!negatedColumns.length) return null;
  return { trees: trees.map((t) => routeTree(t, negated)), negatedColumns };
}

function routeTree(t: Tree, negated: Int32Array): Tree {
  const out: Tree = { feature: [], threshold: [], left: [], value: [] };
  const categories: (CategorySplit | null)[] | undefined = t.categories ? (out.categories = []) : undefined;
  const order = [0];
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    const f = t.feature[i];
    out.value.push(t.value[i]);
    categories?.push(t.categories![i] ?? null);
    if (f < 0) {
      out.feature.push(-1);
      out.threshold.push(0);
      out.left.push(-1);
      continue;
    }
    const l = t.left[i];
    out.left.push(order.length);
    if (!t.categories?.[i] && t.defaultLeft?.[i] === false) {
      out.feature.push(negated[f]);
      out.threshold.push(-float32Above(t.threshold[i]));
      order.push(l + 1, l);
    } else {
      out.feature.push(f);
      out.threshold.push(t.threshold[i]);
      order.push(l, l + 1);
    }
  }
  return out;
}

/** Rows [r0, r1) of a row-major matrix with the negated columns appended (NaN stays NaN). */
export function withNegatedColumns(data: Float32Array, cols: number, r0: number, r1: number, negatedColumns: number[]): Float32Array {
  const width = cols + negatedColumns.length;
  const out = new Float32Array((r1 - r0) * width);
  for (let r = r0, o = 0; r < r1; r++, o += width) {
    const row = r * cols;
    out.set(data.subarray(row, row + cols), o);
    for (let j = 0; j < negatedColumns.length; j++) out[o + cols + j] = -data[row + negatedColumns[j]];
  }
  return out;
}
