import { DataError } from '../../errors.js';
import { NATIVE_MISSING, NATIVE_UNKNOWN } from '../../transform/feature-encoder.js';
import type { CategorySplit, Tree } from '../tree/tree-buffer.js';
import { float32Below } from './float32.js';
import type { XgbTree } from './xgboost-json.js';

/** Where each model feature goes: its column in our matrix, and its category count when it reaches the model as native codes (else -1). */
export interface ColumnMap {
  column: Int32Array;
  categories: Int32Array;
}

/**
 * One XGBoost tree as our finished `Tree`: nodes renumbered breadth-first so a right child is
 * left + 1; features mapped to our columns; thresholds moved to the float32 below the split
 * condition (XGBoost goes left when float32(x) < c, our trees when x <= threshold); `defaultLeft`
 * and `cover` (sum_hessian) per node. A leaf's value is its weight; an inner node's is the
 * cover-weighted mean of its children (XGBoost's node mean values, what TreeSHAP reads).
 * Categorical nodes list the codes that go left: XGBoost sends the categories in its set right
 * and every other category left; a missing or unknown category follows default_left (pandas
 * reads an unknown category as missing).
 */
export function convertTree(t: XgbTree, map: ColumnMap, where: string): Tree {
  const n = t.left_children.length;
  const fields = [t.split_indices, t.split_conditions, t.right_children, t.default_left, t.sum_hessian];
  if (!n || fields.some((f) => f.length !== n)) throw bad(where, `its node arrays differ in length (left_children has ${n})`);
  if ((t.tree_param?.size_leaf_vector ?? 0) > 1) throw bad(where, 'its leaves hold vectors (multi_strategy="multi_output_tree"): train with the default one_output_per_tree');
  const catAt = new Map<number, number[]>();
  t.categories_nodes.forEach((node, k) => {
    const start = t.categories_segments[k];
    const size = t.categories_sizes[k];
    if (start === undefined || size === undefined || start + size > t.categories.length) throw bad(where, `categories_segments/sizes of node ${node} point outside categories`);
    catAt.set(node, t.categories.slice(start, start + size));
  });

  const order: number[] = [0];
  const seen = new Uint8Array(n);
  seen[0] = 1;
  const tree: Tree = { feature: [], threshold: [], left: [], value: [], cover: [], defaultLeft: [] };
  const categories: (CategorySplit | null)[] = [];
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    const l = t.left_children[i];
    const r = t.right_children[i];
    tree.cover!.push(t.sum_hessian[i]);
    tree.defaultLeft!.push(!!t.default_left[i]);
    if (l === -1) {
      const leaf = t.split_conditions[i];
      if (leaf === null || !Number.isFinite(leaf)) throw bad(where, `leaf ${i} has no finite value`);
      tree.feature.push(-1);
      tree.threshold.push(0);
      tree.left.push(-1);
      tree.value.push(Math.fround(leaf));
      categories.push(null);
      continue;
    }
    for (const c of [l, r]) {
      if (!(c > 0 && c < n) || seen[c]) throw bad(where, `node ${i} has a bad child ${c}`);
      seen[c] = 1;
    }
    const f = t.split_indices[i];
    if (!(f >= 0 && f < map.column.length)) throw bad(where, `node ${i} splits feature ${f}, but the model has ${map.column.length} features`);
    tree.feature.push(map.column[f]);
    tree.left.push(order.length);
    tree.value.push(0);
    order.push(l, r);
    const nCats = map.categories[f];
    const set = catAt.get(i);
    const cond = t.split_conditions[i];
    if (nCats >= 0) {
      tree.threshold.push(0);
      categories.push(categorySplit(nCats, !!t.default_left[i], set ? (code) => !set.includes(code) : (code) => cond !== null && code < cond));
    } else {
      if (set || (t.split_type?.[i] ?? 0) !== 0) throw bad(where, `node ${i} splits feature ${f} on categories, but the schema gives it numbers`);
      if (cond === null || Number.isNaN(cond)) throw bad(where, `node ${i} has no split condition`);
      tree.threshold.push(float32Below(cond));
      categories.push(null);
    }
  }
  if (categories.some((c) => c)) tree.categories = categories;
  fillMeans(tree, order.length);
  return tree;
}

/** A categorical node's split: codes [0, n) going left by `goesLeft`, plus missing and unknown when default_left. */
function categorySplit(n: number, defaultLeft: boolean, goesLeft: (code: number) => boolean): CategorySplit {
  const left: number[] = defaultLeft ? [NATIVE_MISSING, NATIVE_UNKNOWN] : [];
  for (let code = 0; code < n; code++) if (goesLeft(code)) left.push(code);
  return { n, left };
}

/** Inner nodes' values: children's values weighted by their cover, over the node's own cover (children come after parents). */
function fillMeans(tree: Tree, n: number): void {
  const cover = tree.cover!;
  for (let i = n - 1; i >= 0; i--) {
    const l = tree.left[i];
    if (l < 0) continue;
    tree.value[i] = cover[i] > 0 ? (tree.value[l] * cover[l] + tree.value[l + 1] * cover[l + 1]) / cover[i] : 0;
  }
}

const bad = (where: string, message: string) => new DataError(`model: ${where}: ${message}`, 'xgboost-tree', `model.${where}`);
