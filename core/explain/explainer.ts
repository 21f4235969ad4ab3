import type { Frame } from '../data/frame.js';
import { matrix, type Matrix } from '../data/matrix.js';
import { ModelError } from '../errors.js';
import { LogisticRegression } from '../models/logistic-regression.js';
import { argmaxRows, type Classifier } from '../models/model.js';
import type { Pipeline } from '../models/pipeline.js';
import type { Tree } from '../models/tree/tree-buffer.js';
import { featureColumns } from './feature-columns.js';
import { LinearShap, type LinearTerms } from './linear-shap.js';
import { MixedTreeShap } from './mixed-tree-shap.js';

/** A model that cannot be explained (its family, or a model file from before covers and means were stored). */
export class ExplainError extends ModelError {
  override name = 'ExplainError';
  constructor(
    message: string,
    readonly family: string,
  ) {
    super(message);
  }
}

/** What the explained number is: the raw margin (log-odds; softmax score when multi-class) or a probability. */
export type ExplainedOutput = 'margin' | 'probability';

/** Contributions of many rows, per user feature, each row for one class. */
export interface ExplainedRows {
  output: ExplainedOutput;
  features: string[];
  /** Per row: the class explained (binary: the positive class; multi-class: the predicted one). */
  classOf: Int32Array;
  /** Per row: the output with no feature known. */
  base: Float64Array;
  /** rows x features, row-major: base + the row's sum = the model's output for its class. */
  phi: Float64Array;
}

/** Explains one class's output: adds per-column contributions of matrix rows [r0, r1) (`cols` columns) to `phi`, (r1 - r0) x cols. */
interface Engine {
  readonly expected: number;
  explainRows(x: ArrayLike<number>, cols: number, r0: number, r1: number, phi: Float64Array): void;
}

/** Rows explained together: a tree's tables stay in cache across them (measured on phishing boosting: 1.5-2.1x the rows/s of one at a time). */
const ROW_BLOCK = 64;

/** One class's engine; sign -1 explains class 0 of a binary model by its class-1 margin. */
interface ClassEngine {
  engine: Engine;
  sign: number;
}

/** Families explained exactly, and how. */
export const EXPLAINED_FAMILIES = ['decision_tree', 'random_forest', 'gradient_boosting', 'logistic_regression', 'xgboost'] as const;

const cache = new WeakMap<Pipeline, PipelineExplainer>();

/** Rows between two progress calls of an explanation (a few hundred ms at ~1k rows/s). */
export const EXPLAIN_PROGRESS_ROWS = 256;

/** Throws ExplainError for a family that is never explained (MLP, KNN), without building anything. */
export function assertExplainable(kind: string): void {
  if (!(EXPLAINED_FAMILIES as readonly string[]).includes(kind)) {
    throw new ExplainError(`${kind} models are not explained (explained: ${EXPLAINED_FAMILIES.join(', ')})`, kind);
  }
}

/** What a family's explanations are in: probability for trees and forests, the margin for the rest. */
export function explainedOutputOf(kind: string): ExplainedOutput {
  return kind === 'decision_tree' || kind === 'random_forest' ? 'probability' : 'margin';
}

/**
 * Per-prediction SHAP values of a fitted pipeline, folded back to the features the user sent:
 * exact path-dependent TreeSHAP for trees and forests (probability) and gradient boosting
 * (margin), exact linear SHAP w.r.t. the training means for logistic regression (margin).
 * MLP and KNN are refused (ExplainError). Engines are built per class on first use.
 */
export class PipelineExplainer {
  readonly output: ExplainedOutput;
  readonly features: string[];
  private readonly featureOf: Int32Array;
  private readonly engines = new Map<number, ClassEngine>();
  private readonly K: number;

  private constructor(private readonly pipeline: Pipeline) {
    const kind = pipeline.model.kind;
    assertExplainable(kind);
    this.output = explainedOutputOf(kind);
    ({ features: this.features, featureOf: this.featureOf } = featureColumns(pipeline.preprocessor));
    this.K = pipeline.classes.length;
    // Refuse old model files at once, not at the first row.
    this.engineFor(this.K === 2 ? pipeline.positiveClass : 0);
  }

  /** The explainer of a pipeline (one per pipeline, kept while the pipeline lives); throws ExplainError. */
  static for(pipeline: Pipeline): PipelineExplainer {
    let e = cache.get(pipeline);
    if (!e) cache.set(pipeline, (e = new PipelineExplainer(pipeline)));
    return e;
  }

  /** Which class each row is explained for: binary -> the positive class; multi-class -> the predicted one. */
  classesOf(proba: Float64Array): Int32Array {
    if (this.K === 2) return new Int32Array(proba.length / 2).fill(this.pipeline.positiveClass);
    return argmaxRows(proba, this.K);
  }

  /**
   * Explains the rows of a frame; `proba` (the pipeline's, rows x classes) picks the multi-class
   * classes; `onRows(done)` is called every EXPLAIN_PROGRESS_ROWS rows.
   */
  explain(frame: Frame, proba: Float64Array, onRows?: (done: number) => void): ExplainedRows {
    return this.explainMatrix(this.pipeline.preprocessor.transform(frame), this.classesOf(proba), onRows);
  }

  /**
   * Explains several frames (with their probabilities) in one pass, their rows in blocks together,
   * as `explain` would each: what a server does with the single-row requests that queued up.
   */
  explainEach(frames: Frame[], probas: Float64Array[]): ExplainedRows[] {
    return this.explainEachMatrix(
      frames.map((f) => this.pipeline.preprocessor.transform(f)),
      probas,
    );
  }

  /** `explainEach` of model matrices already transformed by the pipeline's preprocessor (a scorer that computed the probabilities from them). */
  explainEachMatrix(Xs: Matrix[], probas: Float64Array[]): ExplainedRows[] {
    if (Xs.length === 1) return [this.explainMatrix(Xs[0], this.classesOf(probas[0]))];
    const C = Xs[0].cols;
    const rows = Xs.reduce((s, X) => s + X.rows, 0);
    const data = new Float32Array(rows * C);
    const proba = new Float64Array(rows * this.K);
    let at = 0;
    Xs.forEach((X, k) => {
      data.set(X.data, at * C);
      proba.set(probas[k], at * this.K);
      at += X.rows;
    });
    const all = this.explainMatrix(matrix(rows, C, data), this.classesOf(proba));
    const F = this.features.length;
    at = 0;
    return Xs.map((X) => {
      const r0 = at;
      at += X.rows;
      return { output: all.output, features: all.features, classOf: all.classOf.slice(r0, at), base: all.base.slice(r0, at), phi: all.phi.slice(r0 * F, at * F) };
    });
  }

  /**
   * Explains the rows of a model matrix, row i for class `classOf[i]`: the rows of each class in
   * blocks of ROW_BLOCK; `onRows(done)` each time another EXPLAIN_PROGRESS_ROWS rows are done.
   */
  explainMatrix(X: Matrix, classOf: Int32Array, onRows?: (done: number) => void): ExplainedRows {
    const F = this.features.length;
    const phi = new Float64Array(X.rows * F);
    const base = new Float64Array(X.rows);
    const C = X.cols;
    const block = new Float32Array(Math.min(ROW_BLOCK, X.rows) * C);
    const cols = new Float64Array(block.length);
    const rows = new Int32Array(block.length / Math.max(C, 1));
    const fOf = this.featureOf;
    const done = new Uint8Array(X.rows);
    let explained = 0;
    let reported = 0;
    for (let first = 0; first < X.rows; first++) {
      if (done[first]) continue;
      const c = classOf[first];
      const { engine, sign } = this.engineFor(c);
      // The rows of class c from `first` on, a block at a time (binary: every row, in order).
      for (let i = first; i < X.rows; ) {
        let n = 0;
        for (; i < X.rows && n < rows.length; i++) {
          if (done[i] || classOf[i] !== c) continue;
          done[i] = 1;
          rows[n] = i;
          block.set(X.data.subarray(i * C, (i + 1) * C), n * C);
          n++;
        }
        if (!n) break;
        cols.fill(0, 0, n * C);
        engine.explainRows(block, C, 0, n, cols);
        for (let r = 0; r < n; r++) {
          const i = rows[r];
          base[i] = sign * engine.expected;
          const o = i * F;
          for (let j = 0; j < C; j++) phi[o + fOf[j]] += sign * cols[r * C + j];
        }
        explained += n;
        if (onRows && explained - reported >= EXPLAIN_PROGRESS_ROWS) onRows((reported = explained - (explained % EXPLAIN_PROGRESS_ROWS)));
      }
    }
    return { output: this.output, features: this.features, classOf, base, phi };
  }

  private engineFor(c: number): ClassEngine {
    let e = this.engines.get(c);
    if (!e) this.engines.set(c, (e = buildEngine(this.pipeline.model, c, this.K)));
    return e;
  }
}

const retrain = (kind: string, what: string) => new ExplainError(`this ${kind} model was saved without ${what}: retrain it to explain its predictions`, kind);

/** State fields the engines read, as each model's toJSON() writes them. */
interface TreeState {
  nClasses: number;
  trees: Tree[];
  tree?: Tree;
  baseline?: number[];
  multiOutput?: boolean;
  /** Imported XGBoost models: the margin before any tree, and each tree's class. */
  baseMargin?: number;
  treeClass?: number[];
}

function buildEngine(model: Classifier, c: number, K: number): ClassEngine {
  const kind = model.kind;
  const s = model.toJSON().state as TreeState & Partial<LinearTerms>;
  const binary = K === 2;
  // One engine per class explained: together they stay within one explainer's table budgets.
  const share = binary ? 1 : 1 / K;
  try {
    if (kind === 'decision_tree' || kind === 'random_forest') {
      const trees = s.tree ? [s.tree] : s.trees;
      return { engine: new MixedTreeShap(trees, { width: K, column: c, scale: 1 / trees.length, memoryShare: share }), sign: 1 };
    }
    if (kind === 'gradient_boosting') {
      const D = binary ? 1 : K;
      const d = binary ? 0 : c;
      const trees = binary ? s.trees : s.multiOutput ? s.trees : s.trees.filter((_, t) => t % D === d);
      const shap = new MixedTreeShap(trees, s.multiOutput ? { width: K, column: d, memoryShare: share } : { memoryShare: share });
      // The margin starts at the baseline (log-odds or log prior) before any tree.
      const engine: Engine = { expected: s.baseline![d] + shap.expected, explainRows: (x, cols, r0, r1, phi) => shap.explainRows(x, cols, r0, r1, phi) };
      return { engine, sign: binary && c === 0 ? -1 : 1 };
    }
    if (kind === 'xgboost') {
      // XGBoost's trees with their sum_hessian covers and default directions: pred_contribs' values.
      const d = binary ? 0 : c;
      const shap = new MixedTreeShap(s.trees.filter((_, t) => s.treeClass![t] === d), { memoryShare: share });
      const engine: Engine = { expected: s.baseMargin! + shap.expected, explainRows: (x, cols, r0, r1, phi) => shap.explainRows(x, cols, r0, r1, phi) };
      return { engine, sign: binary && c === 0 ? -1 : 1 };
    }
  } catch (err) {
    if (err instanceof ModelError && /cover/.test(err.message)) throw retrain(kind, 'node covers');
    throw err;
  }
  if (model instanceof LogisticRegression) {
    const t = model.linearTerms;
    if (!t.means) throw retrain(kind, 'its training means');
    return { engine: new LinearShap({ ...t, means: t.means }, binary ? 0 : c), sign: binary && c === 0 ? -1 : 1 };
  }
  throw new ExplainError(`${kind} models are not explained`, kind);
}
