import type { ModelKind } from '../models/registry.js';
import type { ParamGrid } from './grid.js';

export interface Family {
  kind: ModelKind;
  /** Values searched; at least as wide as the scikit-learn grids of the system threatmatrix replaces. */
  grid: ParamGrid;
  /** Params fixed for every config. */
  fixed?: Record<string, unknown>;
  /** Ensemble-size param scored from prefixes of one fit. */
  stageParam?: string;
  /** Standardise inputs (linear, neural and distance models). */
  scale: boolean;
  /** Smaller grid used from LARGE_ROWS training rows on: fewer configs, each on more rows. Default: `grid`. */
  largeGrid?: ParamGrid;
  /**
   * The model ends its own ensemble (early stopping, the deadline): when a time-cut plan searched
   * only smaller sizes and the best config sits at the largest of them, the refit may grow up to
   * the grid's largest (see refitParams in grid-search.ts). Default false.
   */
  refitToGridTop?: boolean;
  /** Share of a run's search time, relative to the other families. Default 1. */
  weight?: number;
  /** Cap on the training rows (a stratified sample beyond it), for families whose cost grows faster than the rows. */
  maxRows?: number;
  /** Scoring searches the training rows (KNN): scoring cost grows with them. */
  lazy?: boolean;
  /**
   * How a fit's cost grows beyond the rows measured in the search: rows ^ rowPower (see FitCost).
   * Default 1. Trees of unlimited depth grow deeper with the rows: ROW_POWER_DEEP_TREES.
   */
  rowPower?: number;
}

/**
 * Cost growth of deep CART trees with the rows: a random forest (unlimited depth) on the scale
 * data took 0.92, 2.49 and 9.45 CPU s at 6,666, 20,000 and 60,000 rows, 31 % above the straight
 * line through the first two, as rows ^ 1.25 beyond them. Drawn straight, a refit on 800k rows
 * measured at 20k took about twice its estimate and overran a 240 s run by two minutes.
 */
export const ROW_POWER_DEEP_TREES = 1.25;

/**
 * Bytes of model matrices (float32) a family's search may hold at once: the k cached folds of a
 * halving round, or its refit's matrix. 256 MB: at 1M rows x 225 one-hot columns a refit on all
 * 800k training rows was a 720 MB matrix (plus TensorFlow.js's copy for the MLP), and two
 * families side by side took the run's process tree past 3 GB; capped, a one-hot family refits on
 * at most 298k rows there (native categoricals, 44 columns: 1.5M rows, no cap at 1M).
 */
export const MAX_MATRIX_BYTES = 256 * 2 ** 20;

/** From this many training rows on, families search their `largeGrid`. */
export const LARGE_ROWS = 100_000;

/**
 * KNN's row cap: the model keeps a stratified sample of at most this many training rows. Scoring
 * costs (rows x kept rows x columns) at the dimensions seen here (brute force: the KD-tree only
 * pays in few columns), so the cap bounds each prediction's cost and the model file's size (rows x
 * columns numbers). The WebAssembly kernel would score 50,000 rows about as fast as the JavaScript
 * scan scored 20,000 (bench:knn), but at 225 columns that model is 11M numbers, a JSON file of
 * about 100 MB that every API process parses and holds twice: the cap stays at 20,000 (about
 * 45 MB) and the kernel's speed goes to the search's folds and to scoring.
 */
export const KNN_MAX_ROWS = 20_000;

/**
 * The default search: six families, the one that usually wins first and with the biggest share of
 * the time budget; families start in this order on free cores. Each grid lists the usual best
 * values first: the first group is the probe and what a search cut by its deadline falls back to.
 * Comments give the old scikit-learn grid each one covers.
 */
export const DEFAULT_FAMILIES: Family[] = [
  // HistGradientBoosting: learning_rate [0.05, 0.1, 0.2] x max_iter [100, 300] x max_leaf_nodes [15, 31, 63] (18);
  // GradientBoosting n_estimators [50, 100, 200] x learning_rate [0.1, 0.05] x max_depth [3, 5] is covered by the sizes.
  {
    kind: 'gradient_boosting',
    grid: { learningRate: [0.1, 0.05, 0.2], maxLeafNodes: [31, 15, 63], maxIter: [50, 100, 200, 300] },
    largeGrid: { learningRate: [0.1, 0.2], maxLeafNodes: [31, 63], maxIter: [50, 100, 200] },
    stageParam: 'maxIter',
    scale: false,
    weight: 3,
    refitToGridTop: true,
  },
  // MLPClassifier (64, 32): alpha [1e-4, 1e-3, 1e-2] (3). Larger batches and step than scikit-learn's
  // defaults (200, 1e-3): per-step overhead dominates on TensorFlow.js, and F1 is as good. Early stopping on a
  // held-out 10 % (best epoch kept) bounds the epochs on big data.
  {
    kind: 'mlp',
    grid: { alpha: [1e-4, 1e-3, 1e-2] },
    largeGrid: { alpha: [1e-4, 1e-3] },
    fixed: { hiddenLayers: [64, 32], batchSize: 512, learningRate: 0.01, maxEpochs: 60, earlyStopping: true },
    scale: true,
    weight: 1.5,
  },
  // RandomForest: n_estimators [50, 100, 200] x max_depth [None, 10, 20] (9)
  {
    kind: 'random_forest',
    grid: { maxDepth: [0, 10, 20], nEstimators: [50, 100, 200] },
    largeGrid: { maxDepth: [0, 20], nEstimators: [50, 100] },
    stageParam: 'nEstimators',
    scale: false,
    weight: 1.5,
    rowPower: ROW_POWER_DEEP_TREES,
  },
  // LogisticRegression: C [0.01, 0.1, 1, 10] x penalty [l1, l2] x solver [liblinear, saga] (16)
  {
    kind: 'logistic_regression',
    grid: { C: [1, 0.1, 10, 0.01], penalty: ['l2', 'l1'], balanced: [false, true] },
    largeGrid: { C: [1, 0.1, 10], penalty: ['l2'] },
    scale: true,
  },
  // KNeighbors: n_neighbors [3, 5, 7] x weights [uniform, distance] (6), on at most KNN_MAX_ROWS rows.
  {
    kind: 'knn',
    grid: { weights: ['distance', 'uniform'], nNeighbors: [3, 5, 7, 9] },
    stageParam: 'nNeighbors',
    scale: true,
    maxRows: KNN_MAX_ROWS,
    lazy: true,
  },
  // DecisionTree: criterion [gini, entropy, log_loss] x max_depth [None, 10, 20, 30] (12)
  {
    kind: 'decision_tree',
    grid: { criterion: ['gini', 'entropy'], maxDepth: [0, 10, 20, 30], minSamplesLeaf: [1, 2] },
    scale: false,
    weight: 0.5,
    rowPower: ROW_POWER_DEEP_TREES,
  },
];
