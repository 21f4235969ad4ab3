import { z } from 'zod';
import { MaxDepth, MaxFeatures, Seed } from '../params.js';

/** Params shared by the decision tree and the random forest (scikit-learn's names, camel-cased). */
export const cartParams = (defaultMaxFeatures: MaxFeatures) => ({
  /** Split quality; `log_loss` is scikit-learn's alias of `entropy`. Default gini. */
  criterion: z
    .enum(['gini', 'entropy', 'log_loss'])
    .default('gini')
    .transform((c) => (c === 'log_loss' ? 'entropy' : c)),
  /** Default unlimited. */
  maxDepth: MaxDepth.default(0),
  /** Default 2. */
  minSamplesSplit: z.number().int().min(2).default(2),
  /** Default 1. */
  minSamplesLeaf: z.number().int().min(1).default(1),
  /** Features tried per split. */
  maxFeatures: MaxFeatures.default(defaultMaxFeatures),
  /** Default 255. */
  maxBins: z.number().int().min(2).max(256).default(255),
  seed: Seed,
});
