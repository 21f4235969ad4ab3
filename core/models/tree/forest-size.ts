/**
 * How big a fitted forest may grow. An unlimited-depth forest grows about two nodes per distinct
 * training row and tree: 100 trees on 300k rows hold some 30M nodes, which a model file, the
 * register stage and a serving process all have to hold. The cap keeps a model near 200 MB.
 */

/** Numbers a forest may hold: per node its feature, threshold, child, cover and one value per class. */
export const FOREST_NUMBER_BUDGET = 24_000_000;

/** Default node cap of a forest for `nClasses` classes (4M nodes for two classes). */
export function defaultMaxNodes(nClasses: number): number {
  return Math.floor(FOREST_NUMBER_BUDGET / (4 + nClasses));
}

/**
 * The least leaf weight that keeps `nTrees` trees, each grown on `weight` weighted rows, within
 * `maxNodes` nodes in all: a tree whose every leaf weighs at least m has at most weight / m leaves,
 * so fewer than 2 weight / m nodes. Never below `minSamplesLeaf`.
 */
export function leafWeightForSize(weight: number, nTrees: number, maxNodes: number, minSamplesLeaf: number): number {
  return Math.max(minSamplesLeaf, Math.ceil((2 * weight * nTrees) / maxNodes));
}
