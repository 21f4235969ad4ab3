import { z } from 'zod';
import { hasNaN, type Matrix } from '../../data/matrix.js';
import { ModelError } from '../../errors.js';
import type { Classifier, ModelJSON } from '../model.js';
import { ModelBase } from '../model-base.js';
import { Forest } from '../tree/forest.js';
import type { Tree } from '../tree/tree-buffer.js';
import { TreeJSON } from '../tree/tree-json.js';
import { missingRouting, withNegatedColumns } from './missing-routing.js';

/** Objectives whose predict_proba the model reproduces. */
export const XGBOOST_OBJECTIVES = ['binary:logistic', 'multi:softprob'] as const;

/** Imported models take no params: everything is in the state. */
export const XgboostParams = z.object({}).strict();

const XgboostTree = TreeJSON.extend({ cover: z.array(z.number()), defaultLeft: z.array(z.boolean()) });

export const XgboostState = z.object({
  objective: z.enum(XGBOOST_OBJECTIVES),
  nClasses: z.number().int().min(2),
  /** Margin every row starts from: logit(base_score) for binary:logistic, base_score for multi:softprob. */
  baseMargin: z.number(),
  /** Input columns (our matrix, in schema order). */
  cols: z.number().int().positive(),
  /** Class (margin column) of each tree; 0 for every tree of a binary model. */
  treeClass: z.array(z.number().int().nonnegative()),
  trees: z.array(XgboostTree),
  /** Where the model came from: XGBoost version, feature names, file digest (informational). */
  source: z.record(z.string(), z.unknown()).default({}),
});
export type XgboostState = z.infer<typeof XgboostState>;

/** Rows scored per block when NaN routing needs negated columns (bounds the copy). */
const BLOCK_ROWS = 65_536;

/**
 * A gradient-boosted tree model trained by XGBoost and imported from its JSON (see
 * `importXgboost`): scored by the Forest kernel on the raw features, as XGBoost's predict_proba.
 * Missing values follow each node's default direction; blocks without NaN skip that rewrite.
 */
export class XgboostModel extends ModelBase<typeof XgboostParams, XgboostState> implements Classifier {
  static readonly kind = 'xgboost';
  private plain?: Forest;
  private routed?: { forest: Forest; negatedColumns: number[] } | null;

  constructor(params: z.input<typeof XgboostParams> = {}) {
    super(XgboostModel.kind, XgboostParams, params);
  }

  /** An imported model from its state (the importer builds it; `fromJSON` reads it back). */
  static fromState(state: XgboostState): XgboostModel {
    const m = new XgboostModel();
    m.state = XgboostState.parse(state);
    return m;
  }

  fit(): Promise<void> {
    return Promise.reject(new ModelError('xgboost: imported models are trained in XGBoost, not here (threatmatrix models import --xgboost)'));
  }

  /** The finished trees in raw-value terms (feature = our column), with cover and defaultLeft. */
  get trees(): Tree[] {
    return this.fitted().trees;
  }

  /** Raw margins (log-odds for binary, per-class scores for multi-class), rows x (1 or K). */
  predictMargin(X: Matrix): Float64Array {
    const s = this.fitted();
    if (X.cols !== s.cols) throw new ModelError(`xgboost: expected ${s.cols} columns, got ${X.cols}`);
    const outDim = s.nClasses === 2 ? 1 : s.nClasses;
    const out = new Float64Array(X.rows * outDim).fill(s.baseMargin);
    this.plain ??= new Forest(s.trees, 1, Int32Array.from(s.treeClass));
    if (this.routed === undefined) {
      const r = missingRouting(s.trees, s.cols);
      this.routed = r && { forest: new Forest(r.trees, 1, Int32Array.from(s.treeClass)), negatedColumns: r.negatedColumns };
    }
    const routed = this.routed;
    if (!routed || X.hasMissing === false) {
      this.plain.accumulate(X, out, outDim);
      return out;
    }
    for (let r0 = 0; r0 < X.rows; r0 += BLOCK_ROWS) {
      const r1 = Math.min(X.rows, r0 + BLOCK_ROWS);
      const data = X.data.subarray(r0 * X.cols, r1 * X.cols);
      const part = out.subarray(r0 * outDim, r1 * outDim);
      if (hasNaN(data)) {
        const wide = withNegatedColumns(X.data, X.cols, r0, r1, routed.negatedColumns);
        routed.forest.accumulate({ data: wide, rows: r1 - r0, cols: X.cols + routed.negatedColumns.length }, part, outDim);
      } else {
        this.plain.accumulate({ data, rows: r1 - r0, cols: X.cols, hasMissing: false }, part, outDim);
      }
    }
    return out;
  }

  predictProba(X: Matrix): Float64Array {
    const { nClasses } = this.fitted();
    const margin = this.predictMargin(X);
    const out = new Float64Array(X.rows * nClasses);
    if (nClasses === 2) {
      for (let i = 0; i < X.rows; i++) {
        const p = 1 / (1 + Math.exp(-margin[i]));
        out[2 * i] = 1 - p;
        out[2 * i + 1] = p;
      }
      return out;
    }
    for (let i = 0, o = 0; i < X.rows; i++, o += nClasses) {
      let max = -Infinity;
      for (let k = 0; k < nClasses; k++) max = Math.max(max, margin[o + k]);
      let sum = 0;
      for (let k = 0; k < nClasses; k++) sum += out[o + k] = Math.exp(margin[o + k] - max);
      for (let k = 0; k < nClasses; k++) out[o + k] /= sum;
    }
    return out;
  }

  static fromJSON(json: ModelJSON): XgboostModel {
    const m = new XgboostModel(json.params as z.input<typeof XgboostParams>);
    const parsed = XgboostState.safeParse(json.state);
    if (!parsed.success) throw new ModelError(`xgboost: bad state (${parsed.error.issues[0].path.join('.')}: ${parsed.error.issues[0].message})`);
    m.state = parsed.data;
    return m;
  }
}
