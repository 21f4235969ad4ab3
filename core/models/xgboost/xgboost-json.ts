import { z } from 'zod';
import { DataError } from '../../errors.js';

/** A number XGBoost writes as a string in `learner_model_param`: "5E-1", or "[5E-1]" (one-element vector, XGBoost 3). */
const NumberText = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const n = Number(typeof v === 'string' ? v.replace(/^\[(.*)\]$/, '$1') : v);
  if (!Number.isFinite(n)) ctx.addIssue({ code: 'custom', message: `not a number: ${String(v)}` });
  return n;
});

const Int = z.number().int();
/** Split conditions: NaN (categorical nodes) arrives as null, see `readXgboostText`. */
const MaybeNumber = z.number().nullable();

/** One tree of `model.save_model('x.json')` (XGBoost 1.x / 2.x, gbtree). */
export const XgbTree = z.object({
  split_indices: z.array(Int),
  split_conditions: z.array(MaybeNumber),
  left_children: z.array(Int),
  right_children: z.array(Int),
  default_left: z.array(z.union([Int, z.boolean()])),
  base_weights: z.array(MaybeNumber).optional(),
  sum_hessian: z.array(z.number()),
  split_type: z.array(Int).optional(),
  categories: z.array(Int).default([]),
  categories_nodes: z.array(Int).default([]),
  categories_segments: z.array(Int).default([]),
  categories_sizes: z.array(Int).default([]),
  /** Above 1: leaves hold vectors (multi_strategy="multi_output_tree"), which the import refuses. */
  tree_param: z.object({ size_leaf_vector: NumberText.optional() }).optional(),
});
export type XgbTree = z.infer<typeof XgbTree>;

export const XgbModel = z.object({
  version: z.array(Int).optional(),
  learner: z.object({
    feature_names: z.array(z.string()).optional(),
    feature_types: z.array(z.string()).optional(),
    attributes: z.record(z.string(), z.string()).optional(),
    learner_model_param: z.object({
      base_score: NumberText,
      num_class: NumberText.default(0),
      num_feature: NumberText,
      num_target: NumberText.optional(),
    }),
    objective: z.object({ name: z.string() }),
    gradient_booster: z.object({
      name: z.string(),
      model: z
        .object({
          gbtree_model_param: z.object({ num_parallel_tree: NumberText.default(1), num_trees: NumberText }).optional(),
          tree_info: z.array(Int),
          trees: z.array(XgbTree),
        })
        .optional(),
    }),
  }),
});
export type XgbModel = z.infer<typeof XgbModel>;

/**
 * Parses the text of an XGBoost JSON model. XGBoost writes NaN (categorical nodes' split
 * conditions) and Infinity as bare words, which JSON.parse refuses: they become null and +-1e999.
 */
export function readXgboostText(text: string): XgbModel {
  let raw: unknown;
  try {
    raw = JSON.parse(text.replace(/"(?:[^"\\]|\\.)*"|-?Infinity|NaN/g, (m) => (m === 'NaN' ? 'null' : m === 'Infinity' ? '1e999' : m === '-Infinity' ? '-1e999' : m)));
  } catch (err) {
    throw new DataError(`model: not JSON (${(err as Error).message}); save it with model.save_model('model.json')`, 'json-syntax', 'model');
  }
  const parsed = XgbModel.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue.path.join('.');
    throw new DataError(`model: not an XGBoost JSON model: ${at ? `${at}: ` : ''}${issue.message}`, 'xgboost-json', `model${at ? `.${at}` : ''}`);
  }
  return parsed.data;
}
