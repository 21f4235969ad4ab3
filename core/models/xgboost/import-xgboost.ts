import type { DatasetSchema } from '../../../schema/index.js';
import { sha256 } from '../../artifacts/digest.js';
import { DataError } from '../../errors.js';
import { Preprocessor } from '../../transform/preprocessor.js';
import { Pipeline } from '../pipeline.js';
import { convertTree } from './convert-trees.js';
import { mapFeatures, type FeatureMap } from './feature-map.js';
import { readXgboostText, type XgbModel, type XgbTree } from './xgboost-json.js';
import { XGBOOST_OBJECTIVES, XgboostModel, type XgboostState } from './xgboost-model.js';

/** An XGBoost JSON model turned into a servable pipeline, with what was read from it. */
export interface ImportedXgboost {
  pipeline: Pipeline;
  model: XgboostModel;
  /** sha256 of the model text: the version's data digest and import id. */
  digest: string;
  summary: { objective: string; classes: number; trees: number; features: number; categorical: number; xgboostVersion: string | null; namedFeatures: boolean };
}

/**
 * Reads an XGBoost JSON model (`model.save_model('x.json')`, objective binary:logistic or
 * multi:softprob, gbtree booster) against the dataset schema it scores, and wraps it in a
 * Pipeline whose preprocessor only encodes (no imputation, no scaling: missing values reach the
 * trees as NaN and follow default_left). Anything that does not fit throws a DataError naming the field.
 */
export function importXgboost(text: string, schema: DatasetSchema): ImportedXgboost {
  const xgb = readXgboostText(text);
  const { learner } = xgb;
  const objective = learner.objective.name;
  if (!(XGBOOST_OBJECTIVES as readonly string[]).includes(objective)) {
    throw new DataError(`objective ${objective} is not supported: import a classifier trained with ${XGBOOST_OBJECTIVES.join(' or ')}`, 'objective', 'model.learner.objective.name');
  }
  const booster = learner.gradient_booster;
  if (booster.name !== 'gbtree' || !booster.model) {
    throw new DataError(`booster ${booster.name} is not supported: import a gbtree model`, 'booster', 'model.learner.gradient_booster.name');
  }
  if ((learner.learner_model_param.num_target ?? 1) > 1) throw new DataError('multi-target models are not supported', 'num-target', 'model.learner.learner_model_param.num_target');
  const nClasses = objective === 'binary:logistic' ? 2 : learner.learner_model_param.num_class;
  if (schema.label.classes.length !== nClasses) {
    throw new DataError(`the model predicts ${nClasses} classes, the schema's label lists ${schema.label.classes.length}`, 'class-count', 'label.classes');
  }
  const map = mapFeatures(xgb, schema);
  const { trees, treeInfo } = usedTrees(xgb, nClasses);
  const converted = trees.map((t, i) => convertTree(t, map, `trees.${i}`));
  treeInfo.forEach((k, i) => {
    if (k < 0 || k >= (nClasses === 2 ? 1 : nClasses)) throw new DataError(`model: tree ${i} scores class ${k}`, 'xgboost-tree', `model.trees.${i}`);
  });
  const base = learner.learner_model_param.base_score;
  if (objective === 'binary:logistic' && !(base > 0 && base < 1)) throw new DataError(`base_score ${base} is not a probability`, 'base-score', 'model.learner.learner_model_param.base_score');
  const baseMargin = objective === 'binary:logistic' ? Math.log(Math.fround(base) / (1 - Math.fround(base))) : Math.fround(base);
  const digest = sha256(text);
  const xgboostVersion = xgb.version?.join('.') ?? null;
  const state: XgboostState = {
    objective: objective as XgboostState['objective'],
    nClasses,
    baseMargin,
    cols: schema.features.length,
    treeClass: treeInfo,
    trees: converted as XgboostState['trees'],
    source: { xgboostVersion, featureNames: map.names, digest },
  };
  const model = XgboostModel.fromState(state);
  const classes = schema.label.classes.map(String);
  const pipeline = new Pipeline(identityPreprocessor(schema, map), model, classes, classes.indexOf(String(schema.label.threat[0])));
  return {
    pipeline,
    model,
    digest,
    summary: {
      objective,
      classes: nClasses,
      trees: converted.length,
      features: map.names.length,
      categorical: map.encodings.filter((e) => e === 'native').length,
      xgboostVersion,
      namedFeatures: map.named,
    },
  };
}

/** The trees predict_proba uses: all, or the rounds up to best_iteration when early stopping kept one. */
function usedTrees(xgb: XgbModel, nClasses: number): { trees: XgbTree[]; treeInfo: number[] } {
  const m = xgb.learner.gradient_booster.model!;
  if (m.tree_info.length !== m.trees.length) throw new DataError(`model: tree_info lists ${m.tree_info.length} trees, trees holds ${m.trees.length}`, 'xgboost-json', 'model.learner.gradient_booster.model.tree_info');
  const best = xgb.learner.attributes?.best_iteration;
  const perRound = (nClasses === 2 ? 1 : nClasses) * (m.gbtree_model_param?.num_parallel_tree ?? 1);
  const keep = best !== undefined && /^\d+$/.test(best) ? Math.min(m.trees.length, (Number(best) + 1) * perRound) : m.trees.length;
  return { trees: m.trees.slice(0, keep), treeInfo: m.tree_info.slice(0, keep) };
}

/** A fitted preprocessor that only encodes the schema's columns, in schema order: numbers as they are (NaN kept), categories as codes. */
function identityPreprocessor(schema: DatasetSchema, map: FeatureMap): Preprocessor {
  const columns = schema.features.map((f, i) => (f.kind === 'numeric' ? { kind: 'numeric', name: f.name } : { kind: map.encodings[i], name: f.name, categories: f.values.map(String) }));
  return Preprocessor.fromJSON({
    kind: Preprocessor.kind,
    params: { impute: false, scale: false, keepMissing: true },
    state: { encoder: { kind: 'feature_encoder', version: 1, params: {}, state: { columns } }, means: schema.features.map(() => 0), imputer: null, scaler: null },
  });
}
