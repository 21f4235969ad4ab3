import type { RunSpec } from '../../schema/jobs.js';
import { getJson, putJson } from '../artifacts/json.js';
import type { TrackedRun } from '../ports/tracker.js';
import { runKeys } from './run-keys.js';
import type { StageDeps } from './stage-deps.js';

/** Runs a tracking call; a failure is reported and swallowed: tracking never fails training. */
export async function track<T>(deps: StageDeps, what: string, fn: () => Promise<T>): Promise<T | undefined> {
  if (!deps.tracker) return undefined;
  try {
    return await fn();
  } catch (err) {
    deps.warn?.(`tracking: ${what} failed`, err);
    return undefined;
  }
}

/**
 * The tracked run of a training run, or of one of its families (nested), started once: its id is
 * kept in the run's artifacts, so a retried stage logs into the same tracked run.
 */
export async function trackedRun(run: RunSpec, deps: StageDeps, family?: string): Promise<TrackedRun | undefined> {
  const tracker = deps.tracker;
  if (!tracker) return undefined;
  const keys = runKeys(run.runId);
  const pointer = family ? keys.familyTracking(family) : keys.tracking;
  return track(deps, `start ${family ?? run.runId}`, async () => {
    const known = await getJson<{ id: string }>(deps.store, pointer);
    if (known) return tracker.attach(known.id);
    const parent = family ? await trackedRun(run, deps) : undefined;
    const tags: Record<string, string> = { 'threatmatrix.run': run.runId, 'threatmatrix.model': run.modelName };
    if (run.gitCommit) tags['mlflow.source.git.commit'] = run.gitCommit;
    const started = await tracker.startRun({ runName: family ?? run.runId, tags, parentRunId: parent?.id });
    await putJson(deps.store, pointer, { id: started.id, tracker: tracker.kind });
    return started;
  });
}
