import type { RegisterResult } from '../../schema/jobs.js';
import { getJson } from '../artifacts/json.js';
import type { ArtifactStore } from '../ports/artifact-store.js';
import type { ValidationReport } from '../validation/validate-dataset.js';
import { runKeys } from './run-keys.js';

/** How a run ended, as its stored records tell (queues add running and failed states). */
export type RunOutcome =
  | { state: 'succeeded' | 'partial'; result: RegisterResult & { allowPartial?: boolean } }
  | { state: 'cancelled'; at: string; reason: string }
  | { state: 'failed-validation' }
  | { state: 'unfinished' };

/**
 * A run's outcome from the artifact store: `partial` when it registered a model while some
 * families failed (the result names them), `cancelled` when it was cancelled before finishing.
 */
export async function runOutcome(store: ArtifactStore, runId: string): Promise<RunOutcome> {
  const k = runKeys(runId);
  const result = await getJson<RegisterResult & { allowPartial?: boolean }>(store, k.metrics);
  if (result) return { state: result.failures?.length ? 'partial' : 'succeeded', result: { ...result, failures: result.failures ?? [], refitAll: result.refitAll ?? false } };
  const cancelled = await getJson<{ at: string; reason: string }>(store, k.cancelled);
  if (cancelled) return { state: 'cancelled', ...cancelled };
  if ((await getJson<ValidationReport>(store, k.validation))?.ok === false) return { state: 'failed-validation' };
  return { state: 'unfinished' };
}
