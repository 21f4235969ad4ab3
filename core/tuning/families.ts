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
}

/**
 * The default search: six families, slowest first so parallel threads finish together. Comments
 * give the old scikit-learn grid each one covers.
 */
export const DEFAULT_FAMILIES: Family[] = [
  // MLPClassifier (64, 32): alpha [1e-4, 1e-3, 1e-2] (3). Larger batches and step than scikit-learn's
  // defaults (200, 1e-3): per-step overhead dominates on TensorFlow.js, and F1 is as good.
  {
    kind: 'mlp',
    grid: { alpha: [1e-4, 1e-3, 1e-2] },
    fixed: { hiddenLayers: [64, 32], batchSize: 512, learningRate: 0.01, maxEpochs: 60 },
    scale: true,
  },
  // HistGradientBoosting: learning_rate [0.05, 0.1, 0.2] x max_iter [100, 300] x max_leaf_nodes [15, 31, 63] (18);
  // GradientBoosting n_estimators [50, 100, 200] x learning_rate [0.1, 0.05] x max_depth [3, 5] is covered by the sizes.
  {
    kind: 'gradient_boosting',
    grid: { learningRate: [0.05, 0.1, 0.2], maxLeafNodes: [15, 31, 63], maxIter: [50, 100, 200, 300] },
    stageParam: 'maxIter',
    scale: false,
  },
  // LogisticRegression: C [0.01, 0.1, 1, 10] x penalty [l1, l2] x solver [liblinear, saga] (16)
  { kind: 'logistic_regression', grid: { C: [0.01, 0.1, 1, 10], penalty: ['l1', 'l2'], balanced: [false, true] }, scale: true },
  // KNeighbors: n_neighbors [3, 5, 7] x weights [uniform, distance] (6)
  { kind: 'knn', grid: { weights: ['uniform', 'distance'], nNeighbors: [3, 5, 7, 9] }, stageParam: 'nNeighbors', scale: true },
  // RandomForest: n_estimators [50, 100, 200] x max_depth [None, 10, 20] (9)
  { kind: 'random_forest', grid: { maxDepth: [0, 10, 20], nEstimators: [50, 100, 200] }, stageParam: 'nEstimators', scale: false },
  // DecisionTree: criterion [gini, entropy, log_loss] x max_depth [None, 10, 20, 30] (12)
  { kind: 'decision_tree', grid: { criterion: ['gini', 'entropy'], maxDepth: [0, 10, 20, 30], minSamplesLeaf: [1, 2] }, scale: false },
];
