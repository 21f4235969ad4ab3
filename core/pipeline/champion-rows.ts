import { decodeDataset } from '../artifacts/dataset-codec.js';
import type { ModelManifest } from '../ports/model-registry.js';
import { rowHashes } from '../registry/training-rows.js';
import { runKeys } from './run-keys.js';
import type { StageDeps } from './stage-deps.js';

/**
 * The rows production was fitted on: its recorded hashes, or, for a version registered before they
 * were kept, the hashes of its run's stored train split (every row when it was refitted on all);
 * undefined when neither is there (the comparison then refuses to promote).
 */
export async function championTrainingRows(deps: StageDeps, manifest: ModelManifest): Promise<Float64Array | undefined> {
  const recorded = await deps.registry.trainingRows(manifest.name, manifest.version);
  if (recorded) return recorded;
  const keys = runKeys(manifest.runId);
  const bytes = await deps.store.get(manifest.evaluation?.refitOnAllRows ? keys.dataset : keys.train);
  return bytes && rowHashes(decodeDataset(bytes)).sort();
}
