import { ModelError } from '../errors.js';
import { DecisionTree } from './decision-tree.js';
import { GradientBoosting } from './gradient-boosting.js';
import { Knn } from './knn.js';
import { LogisticRegression } from './logistic-regression.js';
import { Mlp } from './mlp.js';
import { MODEL_FORMAT_VERSION, type Classifier, type ModelJSON } from './model.js';
import { RandomForest } from './random-forest.js';
import { tfReady } from './tf/backend.js';
import { XgboostModel } from './xgboost/xgboost-model.js';

interface ModelClass {
  kind: string;
  new (params?: never): Classifier;
  fromJSON(json: ModelJSON): Classifier;
}

const classes = [LogisticRegression, Mlp, DecisionTree, RandomForest, GradientBoosting, Knn] as const satisfies readonly ModelClass[];
export type ModelKind = (typeof classes)[number]['kind'];
export const MODEL_KINDS = classes.map((c) => c.kind) as ModelKind[];
/** Kinds that are imported (trained elsewhere), not families a run trains. */
const imported = [XgboostModel] as const satisfies readonly ModelClass[];
const byKind = new Map<string, ModelClass>([...classes, ...imported].map((c) => [c.kind, c as unknown as ModelClass]));
const usesTf = new Set<string>([LogisticRegression.kind, Mlp.kind]);

function classOf(kind: string): ModelClass {
  const cls = byKind.get(kind);
  if (!cls) throw new ModelError(`unknown model kind "${kind}" (known: ${MODEL_KINDS.join(', ')})`);
  return cls;
}

/** A new, unfitted model of `kind`; params are checked by the model's own schema. */
export function createModel(kind: string, params: Record<string, unknown> = {}): Classifier {
  const Cls = classOf(kind) as unknown as new (p: Record<string, unknown>) => Classifier;
  return new Cls(params);
}

/** Restores a model from `toJSON()` output; rejects unknown kinds and versions. */
export async function loadModel(json: ModelJSON): Promise<Classifier> {
  if (!json || typeof json !== 'object' || typeof json.kind !== 'string') throw new ModelError('not a model: expected { kind, version, params, state }');
  const cls = classOf(json.kind);
  if (json.version !== 1 && json.version !== MODEL_FORMAT_VERSION) throw new ModelError(`${json.kind}: unsupported format version ${String(json.version)}`);
  if (usesTf.has(json.kind)) await tfReady();
  return cls.fromJSON(json);
}
