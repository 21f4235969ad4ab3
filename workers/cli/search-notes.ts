import { getJson } from '../../core/artifacts/json.js';
import { runKeys } from '../../core/pipeline/run-keys.js';
import { familiesOf } from '../../core/pipeline/stages.js';
import type { ArtifactStore } from '../../core/ports/artifact-store.js';
import type { RunSpec } from '../../schema/jobs.js';

/**
 * Lines for a run's summary: what each family's search changed to fit the data and the time budget
 * (row caps, smaller grids, a cut search, a sampled refit) and the families skipped for lack of time.
 */
export async function searchNotes(store: ArtifactStore, run: RunSpec): Promise<string[]> {
  const lines: string[] = [];
  for (const { kind } of familiesOf(run)) {
    const r = await getJson<{ notes?: string[]; skipped?: string }>(store, runKeys(run.runId).familyResult(kind));
    if (r?.skipped) lines.push(`${kind}: skipped (${r.skipped})`);
    for (const note of r?.notes ?? []) lines.push(note);
  }
  return lines;
}
