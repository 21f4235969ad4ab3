import { z } from 'zod';
import type { Matrix } from '../data/matrix.js';
import { type Classifier, type FitOptions, type ModelJSON } from './model.js';
import { ModelBase } from './model-base.js';
import { resolveMaxFeatures } from './params.js';
import { cartParams } from './tree/cart-params.js';
import { classForest, fitClassTrees, forestProba } from './tree/class-forest.js';
import type { Forest } from './tree/forest.js';
import { TreeJSON } from './tree/tree-json.js';

/** Params; max features defaults to all. */
export const DecisionTreeParams = z.object(cartParams('all'));
export type DecisionTreeParams = z.input<typeof DecisionTreeParams>;

const State = z.object({ nClasses: z.number().int().min(2), tree: TreeJSON });
type State = z.infer<typeof State>;

/** CART classification tree on histogram bins (exact when a feature has <= maxBins distinct values). */
export class DecisionTree extends ModelBase<typeof DecisionTreeParams, State> implements Classifier {
  static readonly kind = 'decision_tree';
  private forest?: Forest;

  constructor(params: DecisionTreeParams = {}) {
    super(DecisionTree.kind, DecisionTreeParams, params);
  }

  async fit(X: Matrix, y: Int32Array, opts: FitOptions): Promise<void> {
    const p = this.params;
    const [tree] = fitClassTrees(X, y, opts.nClasses, {
      ...p,
      nTrees: 1,
      bootstrap: false,
      maxFeatures: resolveMaxFeatures(p.maxFeatures, X.cols),
      onProgress: opts.onProgress,
    });
    this.load({ nClasses: opts.nClasses, tree });
  }

  private load(state: State): this {
    this.state = state;
    this.forest = classForest([state.tree], state.nClasses);
    return this;
  }

  predictProba(X: Matrix): Float64Array {
    const s = this.fitted();
    return forestProba(this.forest!, X, s.nClasses);
  }

  static fromJSON(json: ModelJSON): DecisionTree {
    return new DecisionTree(json.params as DecisionTreeParams).load(State.parse(json.state));
  }
}
