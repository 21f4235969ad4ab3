import { z } from 'zod';
import type { Matrix } from '../data/matrix.js';
import { type Classifier, type FitOptions, type ModelJSON, type Staged } from './model.js';
import { ModelBase } from './model-base.js';
import { resolveMaxFeatures } from './params.js';
import { cartParams } from './tree/cart-params.js';
import { classForest, fitClassTrees, forestProba } from './tree/class-forest.js';
import { defaultMaxNodes, leafWeightForSize } from './tree/forest-size.js';
import type { Forest } from './tree/forest.js';
import { TreeJSON } from './tree/tree-json.js';

/** Params; max features defaults to sqrt. */
export const RandomForestParams = z.object({
  /** Trees in the forest. Default 100. */
  nEstimators: z.number().int().min(1).max(10_000).default(100),
  ...cartParams('sqrt'),
  /** Bootstrap rows per tree. Default true. */
  bootstrap: z.boolean().default(true),
  /**
   * Nodes the whole forest may hold. When the trees could outgrow it (about 2 x rows x trees /
   * minSamplesLeaf), the fit raises the least leaf weight until they cannot. Default: 24M numbers'
   * worth (4M nodes for 2 classes; see forest-size.ts).
   */
  maxNodes: z.number().int().min(1).optional(),
});
export type RandomForestParams = z.input<typeof RandomForestParams>;

const State = z.object({
  nClasses: z.number().int().min(2),
  trees: z.array(TreeJSON).min(1),
  /** The least leaf weight the node cap set, when above minSamplesLeaf. */
  sizeLeafWeight: z.number().int().min(2).optional(),
});
type State = z.infer<typeof State>;

/** Random forest (Breiman): bootstrapped CART trees with per-split feature sampling, averaged class shares. */
export class RandomForest extends ModelBase<typeof RandomForestParams, State> implements Classifier, Staged {
  static readonly kind = 'random_forest';
  readonly stageParam = 'nEstimators';
  private forest?: Forest;
  fitNotes: string[] = [];

  constructor(params: RandomForestParams = {}) {
    super(RandomForest.kind, RandomForestParams, params);
  }

  async fit(X: Matrix, y: Int32Array, opts: FitOptions): Promise<void> {
    const p = this.params;
    const maxNodes = p.maxNodes ?? defaultMaxNodes(opts.nClasses);
    const leafWeight = leafWeightForSize(X.rows, p.nEstimators, maxNodes, p.minSamplesLeaf);
    const trees = fitClassTrees(X, y, opts.nClasses, {
      ...p,
      minSamplesLeaf: leafWeight,
      nTrees: p.nEstimators,
      maxFeatures: resolveMaxFeatures(p.maxFeatures, X.cols),
      onProgress: opts.onProgress,
      deadline: opts.deadline,
    });
    this.load({ nClasses: opts.nClasses, trees, ...(leafWeight > p.minSamplesLeaf ? { sizeLeafWeight: leafWeight } : {}) });
    this.fitNotes = leafWeight > p.minSamplesLeaf ? [`leaves of at least ${leafWeight} rows, so ${p.nEstimators} trees on ${X.rows} rows stay within ${maxNodes} nodes (maxNodes)`] : [];
  }

  private load(state: State): this {
    this.state = state;
    this.forest = classForest(state.trees, state.nClasses);
    return this;
  }

  predictProba(X: Matrix): Float64Array {
    const s = this.fitted();
    return forestProba(this.forest!, X, s.nClasses);
  }

  predictProbaStaged(X: Matrix, stages: number[]): Float64Array[] {
    const s = this.fitted();
    return stages.map((m) => forestProba(this.forest!, X, s.nClasses, Math.min(m, this.forest!.size)));
  }

  static fromJSON(json: ModelJSON): RandomForest {
    return new RandomForest(json.params as RandomForestParams).load(State.parse(json.state));
  }
}
