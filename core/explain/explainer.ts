import type { Frame } from '../data/frame.js';
import type { Matrix } from '../data/matrix.js';
import { ModelError } from '../errors.js';
import { LogisticRegression } from '../models/logistic-regression.js';
import { argmaxRows, type Classifier } from '../models/model.js';
import type { Pipeline } from '../models/pipeline.js';
import type { Tree } from '../models/tree/tree-buffer.js';
import { featureColumns } from './feature-columns.js';
import { LinearShap, type LinearTerms } from './linear-shap.js';
import { FastTreeShap } from './fast-tree-shap.js';

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

/** Explains one class's output: adds per-column contributions of a matrix row to `phi`. */
interface Engine {
  readonly expected: number;
  explain(x: ArrayLike<number>, x0: number, phi: Float64Array): void;
}

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

  /** Explains the rows of a model matrix, row i for class `classOf[i]`; `onRows(done)` every EXPLAIN_PROGRESS_ROWS rows. */
  explainMatrix(X: Matrix, classOf: Int32Array, onRows?: (done: number) => void): ExplainedRows {
    const F = this.features.length;
    const phi = new Float64Array(X.rows * F);
    const base = new Float64Array(X.rows);
    const cols = new Float64Array(X.cols);
    const fOf = this.featureOf;
    for (let i = 0; i < X.rows; i++) {
      const { engine, sign } = this.engineFor(classOf[i]);
      cols.fill(0);
      engine.explain(X.data, i * X.cols, cols);
      base[i] = sign * engine.expected;
      const o = i * F;
      for (let j = 0; j < X.cols; j++) phi[o + fOf[j]] += sign * cols[j];
      if (onRows && (i + 1) % EXPLAIN_PROGRESS_ROWS === 0) onRows(i + 1);
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
  try {
    if (kind === 'decision_tree' || kind === 'random_forest') {
      const trees = s.tree ? [s.tree] : s.trees;
      return { engine: new FastTreeShap(trees, { width: K, column: c, scale: 1 / trees.length }), sign: 1 };
    }
    if (kind === 'gradient_boosting') {
      const D = binary ? 1 : K;
      const d = binary ? 0 : c;
      const trees = binary ? s.trees : s.multiOutput ? s.trees : s.trees.filter((_, t) => t % D === d);
      const shap = new FastTreeShap(trees, s.multiOutput ? { width: K, column: d } : {});
      // The margin starts at the baseline (log-odds or log prior) before any tree.
      const engine: Engine = { expected: s.baseline![d] + shap.expected, explain: (x, x0, phi) => shap.explain(x, x0, phi) };
      return { engine, sign: binary && c === 0 ? -1 : 1 };
    }
    if (kind === 'xgboost') {
      // XGBoost's trees with their sum_hessian covers and default directions: pred_contribs' values.
      const d = binary ? 0 : c;
      const shap = new FastTreeShap(s.trees.filter((_, t) => s.treeClass![t] === d), {});
      const engine: Engine = { expected: s.baseMargin! + shap.expected, explain: (x, x0, phi) => shap.explain(x, x0, phi) };
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
