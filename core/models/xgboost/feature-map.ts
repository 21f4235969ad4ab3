import type { DatasetSchema } from '../../../schema/index.js';
import { DataError } from '../../errors.js';
import type { ColumnMap } from './convert-trees.js';
import type { XgbModel } from './xgboost-json.js';

/** How each schema feature reaches the model: a number, native category codes, or ordinal codes read as numbers. */
export type FeatureEncoding = 'numeric' | 'native' | 'ordinal';

export interface FeatureMap extends ColumnMap {
  /** Per schema feature, in schema order. */
  encodings: FeatureEncoding[];
  /** The model's feature names, or the schema's when the JSON has none. */
  names: string[];
  /** Whether the JSON named its features (else they were taken in schema order). */
  named: boolean;
}

/**
 * Maps the model's features onto the schema's by name (`feature_names` in the JSON), or in
 * schema order when the JSON has none. Every model feature must be a schema feature and the
 * other way round; a categorical feature of the model (type `c`) must be categorical in the
 * schema, where its category codes are the positions in the schema's `values` (pandas category
 * codes). A schema categorical the model reads as a number must say `encoding: ordinal`.
 */
export function mapFeatures(model: XgbModel, schema: DatasetSchema): FeatureMap {
  const { learner } = model;
  const nModel = learner.learner_model_param.num_feature;
  const features = schema.features;
  const named = !!learner.feature_names?.length;
  if (!named && nModel !== features.length) {
    throw new DataError(
      `the model has ${nModel} features and no feature_names, the schema ${features.length}: save the model from a pandas DataFrame (names) or list the schema's features in the model's order`,
      'feature-count',
      'features',
    );
  }
  const names = named ? learner.feature_names! : features.map((f) => f.name);
  if (names.length !== nModel) throw new DataError(`the model lists ${names.length} feature_names but num_feature is ${nModel}`, 'feature-count', 'model.learner.feature_names');
  const bySchema = new Map(features.map((f, i) => [f.name, i]));
  const column = new Int32Array(nModel);
  const categories = new Int32Array(nModel).fill(-1);
  const encodings = features.map((): FeatureEncoding => 'numeric');
  const used = new Set<number>();
  names.forEach((name, j) => {
    const at = bySchema.get(name);
    if (at === undefined) throw new DataError(`model feature "${name}" is not a feature of the schema`, 'in-schema', `features.${name}`);
    if (used.has(at)) throw new DataError(`model feature "${name}" is named twice`, 'unique', `features.${name}`);
    used.add(at);
    column[j] = at;
    const spec = features[at];
    const type = learner.feature_types?.[j] ?? 'float';
    if (type === 'c') {
      if (spec.kind !== 'categorical') throw new DataError(`feature "${name}" is categorical in the model but ${spec.kind} in the schema`, 'feature-type', `features.${name}`);
      categories[j] = spec.values.length;
      encodings[at] = 'native';
    } else if (spec.kind === 'categorical') {
      if (spec.encoding !== 'ordinal') {
        throw new DataError(
          `feature "${name}" is a number (${type}) in the model but categorical in the schema: give it encoding: ordinal if the model was trained on codes in the schema's order, or train with enable_categorical`,
          'feature-type',
          `features.${name}`,
        );
      }
      encodings[at] = 'ordinal';
    }
  });
  const unused = features.find((_, i) => !used.has(i));
  if (unused) throw new DataError(`schema feature "${unused.name}" is not a feature of the model (it has: ${names.slice(0, 10).join(', ')}${names.length > 10 ? ', ...' : ''})`, 'in-model', `features.${unused.name}`);
  return { column, categories, encodings, names, named };
}
