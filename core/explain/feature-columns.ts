import type { Preprocessor } from '../transform/preprocessor.js';

/** The user's features and, per column of the model matrix, the feature it came from. */
export interface FeatureColumns {
  features: string[];
  featureOf: Int32Array;
}

interface EncodedColumn {
  kind: string;
  name: string;
  categories?: string[];
}

/**
 * Maps model-matrix columns back to the feature the user sent: a one-hot column `name=value` to
 * `name`; native and ordinal category codes, imputed and scaled columns 1:1 (read from the
 * fitted encoder's layout, so a feature name holding `=` folds right too).
 */
export function featureColumns(pre: Preprocessor): FeatureColumns {
  const encoder = pre.toJSON().state.encoder as { state: { columns: EncodedColumn[] } };
  const features: string[] = [];
  const featureOf: number[] = [];
  for (const c of encoder.state.columns) {
    const f = features.push(c.name) - 1;
    const width = c.kind === 'onehot' ? (c.categories?.length ?? 0) : 1;
    for (let k = 0; k < width; k++) featureOf.push(f);
  }
  return { features, featureOf: Int32Array.from(featureOf) };
}
