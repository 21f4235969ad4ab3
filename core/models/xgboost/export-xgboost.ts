import { ModelError } from '../../errors.js';
import type { GradientBoosting } from '../gradient-boosting.js';
import type { Tree } from '../tree/tree-buffer.js';
import { float32Above, float32Below } from './float32.js';

/** The XGBoost release whose JSON layout the export writes (and the bench and tests load it with). */
export const XGBOOST_JSON_VERSION = [1, 7, 4] as const;

/** XGBoost's "no parent" (the root's entry in `parents`). */
const NO_PARENT = 2147483647;
/** base_score written: margin 0 for binary:logistic; for multi:softprob every class starts at 0.5. */
const BASE_SCORE = 0.5;

export interface XgboostExportOptions {
  /**
   * Names of the model's input columns (the preprocessed matrix), written as feature_names with
   * type float; their count is num_feature. Default: none (XGBoost calls them f0, f1, ...) and
   * num_feature = 1 + the highest column a tree splits on.
   */
  featureNames?: string[];
}

/** One tree in XGBoost's JSON layout (what `Booster.save_model('x.json')` writes, XGBoost 1.7). */
export interface XgbTreeOut {
  base_weights: number[];
  categories: number[];
  categories_nodes: number[];
  categories_segments: number[];
  categories_sizes: number[];
  default_left: number[];
  id: number;
  left_children: number[];
  loss_changes: number[];
  parents: number[];
  right_children: number[];
  split_conditions: number[];
  split_indices: number[];
  split_type: number[];
  sum_hessian: number[];
  tree_param: { num_deleted: string; num_feature: string; num_nodes: string; size_leaf_vector: string };
}

/** A whole model in XGBoost's JSON layout; parameters are strings, as XGBoost writes and reads them. */
export interface XgbModelOut {
  learner: {
    attributes: Record<string, string>;
    feature_names: string[];
    feature_types: string[];
    gradient_booster: {
      model: { gbtree_model_param: { num_parallel_tree: string; num_trees: string; size_leaf_vector: string }; tree_info: number[]; trees: XgbTreeOut[] };
      name: 'gbtree';
    };
    learner_model_param: { base_score: string; boost_from_average: string; num_class: string; num_feature: string; num_target: string };
    objective: { name: 'binary:logistic'; reg_loss_param: { scale_pos_weight: string } } | { name: 'multi:softprob'; softmax_multiclass_param: { num_class: string } };
  };
  version: number[];
}

/** The fields of a GradientBoosting state the export reads. */
interface BoostingState {
  nClasses: number;
  baseline: number[];
  trees: Tree[];
  multiOutput?: boolean;
}

/**
 * A fitted GradientBoosting as an XGBoost JSON model (binary:logistic, or multi:softprob with one
 * tree per class a round) that XGBoost loads (`Booster(model_file=...)`) and `importXgboost`
 * reads back, giving the same margins and TreeSHAP contributions up to float32 rounding:
 * - Splits: ours send x <= t left, XGBoost's float32(x) < c. c is the float32 just above the
 *   largest float32 <= t, so the two tests agree on every float32 input (our matrices are float32).
 * - Missing values: our Forest sends NaN left at every numeric node, so default_left is 1.
 * - Leaves hold float32 values (XGBoost's type). The baseline (log-odds or log prior) is added to
 *   every leaf of each class's first tree, with base_score 0.5, so the margins are ours: a constant
 *   added to a tree's leaves moves only the SHAP base value, never the features' contributions.
 * - Covers are our node covers (hessian sums), which XGBoost's TreeSHAP reads as sum_hessian.
 * - Multi-output trees (K values a leaf) become K trees of the same shape, one per class.
 * Categorical splits are refused (ModelError): XGBoost's category sets cannot send unknown codes
 * apart from missing ones, and its codes would need the schema's category order.
 */
export function exportXgboost(model: GradientBoosting, options: XgboostExportOptions = {}): XgbModelOut {
  const s = model.toJSON().state as BoostingState;
  const K = s.nClasses;
  const D = K === 2 ? 1 : K;
  const used = 1 + s.trees.reduce((m, t) => t.feature.reduce((a, f) => Math.max(a, f), m), -1);
  const cols = options.featureNames?.length ?? used;
  if (cols < used) throw new ModelError(`xgboost export: the trees split column ${used - 1}, but only ${cols} feature names were given`);

  const trees: XgbTreeOut[] = [];
  const treeInfo: number[] = [];
  const shifted = new Uint8Array(D);
  const add = (t: Tree, t0: number, width: number, column: number, cls: number) => {
    // The baseline rides on each class's first tree (see above).
    const shift = shifted[cls] ? 0 : s.baseline[cls] - (D === 1 ? 0 : BASE_SCORE);
    shifted[cls] = 1;
    trees.push(xgbTree(t, `tree ${t0}`, trees.length, cols, width, column, shift));
    treeInfo.push(cls);
  };
  s.trees.forEach((t, i) => {
    if (s.multiOutput) for (let k = 0; k < D; k++) add(t, i, D, k, k);
    else add(t, i, 1, 0, i % D);
  });
  // A model whose class never got a tree still needs its baseline: one leaf holding it.
  for (let k = 0; k < D; k++) if (!shifted[k]) add({ feature: [-1], threshold: [0], left: [-1], value: [0], cover: [1] }, -1, 1, 0, k);

  return {
    learner: {
      attributes: {},
      feature_names: options.featureNames ? [...options.featureNames] : [],
      feature_types: options.featureNames ? options.featureNames.map(() => 'float') : [],
      gradient_booster: {
        model: { gbtree_model_param: { num_parallel_tree: '1', num_trees: String(trees.length), size_leaf_vector: '0' }, tree_info: treeInfo, trees },
        name: 'gbtree',
      },
      learner_model_param: { base_score: String(BASE_SCORE), boost_from_average: '1', num_class: D === 1 ? '0' : String(K), num_feature: String(cols), num_target: '1' },
      objective: D === 1 ? { name: 'binary:logistic', reg_loss_param: { scale_pos_weight: '1' } } : { name: 'multi:softprob', softmax_multiclass_param: { num_class: String(K) } },
    },
    version: [...XGBOOST_JSON_VERSION],
  };
}

/** Tree arrays XGBoost reads as floats: its JSON parser refuses an integer (`0`) where it expects a float (`0.0`). */
const FLOAT_ARRAYS = new Set(['base_weights', 'loss_changes', 'split_conditions', 'sum_hessian']);

/**
 * `exportXgboost` as the text of a model file XGBoost loads (`xgb.Booster(model_file=...)`):
 * JSON whose float arrays spell every number as a float.
 */
export function exportXgboostText(model: GradientBoosting, options: XgboostExportOptions = {}): string {
  const floats: string[] = [];
  const text = JSON.stringify(exportXgboost(model, options), (key, value: unknown) => {
    if (!FLOAT_ARRAYS.has(key) || !Array.isArray(value)) return value;
    floats.push(`[${(value as number[]).map(floatText).join(',')}]`);
    return `\u0000${floats.length - 1}`;
  });
  // The placeholders are JSON strings "\u0000<i>", which no other value of the model holds.
  return text.replace(/"\\u0000(\d+)"/g, (_, i: string) => floats[Number(i)]);
}

const floatText = (v: number) => (Number.isInteger(v) ? v.toFixed(1) : String(v));

/** One of our trees (leaf number `column` of `width`) in XGBoost's layout, node ids kept (children left and left + 1). */
function xgbTree(t: Tree, where: string, id: number, cols: number, width: number, column: number, shift: number): XgbTreeOut {
  const n = t.feature.length;
  if (!t.cover || t.cover.length !== n) throw new ModelError(`xgboost export: ${where} has no node covers (a model saved before format 2): retrain it`);
  const out: XgbTreeOut = {
    base_weights: [],
    categories: [],
    categories_nodes: [],
    categories_segments: [],
    categories_sizes: [],
    default_left: [],
    id,
    left_children: [],
    loss_changes: new Array<number>(n).fill(0),
    parents: new Array<number>(n).fill(NO_PARENT),
    right_children: [],
    split_conditions: [],
    split_indices: [],
    split_type: new Array<number>(n).fill(0),
    sum_hessian: [...t.cover],
    tree_param: { num_deleted: '0', num_feature: String(cols), num_nodes: String(n), size_leaf_vector: '0' },
  };
  for (let i = 0; i < n; i++) {
    const f = t.feature[i];
    if (f < 0) {
      const leaf = Math.fround(t.value[i * width + column] + shift);
      out.base_weights.push(leaf);
      out.split_conditions.push(leaf);
      out.split_indices.push(0);
      out.left_children.push(-1);
      out.right_children.push(-1);
      out.default_left.push(0);
      continue;
    }
    if (t.categories?.[i]) throw new ModelError(`xgboost export: ${where} node ${i} splits column ${f} on a category set; only numeric splits are exported (encode the column one-hot or ordinal)`);
    const l = t.left[i];
    out.parents[l] = i;
    out.parents[l + 1] = i;
    out.base_weights.push(0);
    out.split_conditions.push(splitCondition(t.threshold[i], where, i));
    out.split_indices.push(f);
    out.left_children.push(l);
    out.right_children.push(l + 1);
    out.default_left.push(1);
  }
  return out;
}

/**
 * XGBoost's condition for our threshold: the float32 just above the largest float32 <= t. For a
 * float32 x, x <= t exactly when x <= that float32, exactly when x < the next one up.
 */
export function splitCondition(t: number, where = 'tree', node = 0): number {
  const r = Math.fround(t);
  const below = r > t ? float32Below(r) : r;
  const c = float32Above(below);
  if (!Number.isFinite(c)) throw new ModelError(`xgboost export: ${where} node ${node} has threshold ${t}, beyond float32`);
  return c;
}
