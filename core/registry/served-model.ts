import { parseDatasetSchema, type DatasetSchema } from '../../schema/index.js';
import { getJson } from '../artifacts/json.js';
import { threatIndices } from '../calibration/threat-score.js';
import { Pipeline } from '../models/pipeline.js';
import { runKeys } from '../pipeline/run-keys.js';
import type { ArtifactStore } from '../ports/artifact-store.js';
import type { ModelRegistry } from '../ports/model-registry.js';
import { LEGACY_THRESHOLD } from './threshold-log.js';

/** A registered model version ready to score: its pipeline and the dataset schema it was trained on. */
export interface ServedModel {
  name: string;
  version: number;
  pipeline: Pipeline;
  schema: DatasetSchema;
  /** Class indices of the schema's threat classes: the threat score is their summed probability. */
  threatClasses: number[];
  /** `threat` is score >= threshold; `thresholdSeq` counts the threshold's changes (servers compare it). */
  threshold: number;
  thresholdSeq: number;
}

/** Loads a registered version (undefined when it does not exist). */
export async function loadServedModel(registry: ModelRegistry, store: ArtifactStore, name: string, version: number): Promise<ServedModel | undefined> {
  const entry = await registry.get(name, version);
  if (!entry) return undefined;
  const written = entry.manifest.schema ?? (await getJson<{ schema: unknown }>(store, runKeys(entry.manifest.runId).spec))?.schema;
  if (!written) throw new Error(`${name} v${version} has no dataset schema`);
  const schema = parseDatasetSchema(JSON.stringify(written), `${name} v${version} schema`);
  const pipeline = await Pipeline.fromJSON(entry.model);
  const threshold = (await registry.threshold(name, version)) ?? { threshold: LEGACY_THRESHOLD, seq: 0 };
  return { name, version, pipeline, schema, threatClasses: threatIndices(pipeline.classes, schema.label.threat), threshold: threshold.threshold, thresholdSeq: threshold.seq };
}
