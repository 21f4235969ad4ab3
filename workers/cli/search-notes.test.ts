import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../../core/adapters/local-artifact-store.js';
import { putJson } from '../../core/artifacts/json.js';
import { runKeys } from '../../core/pipeline/run-keys.js';
import { RunSpec } from '../../schema/jobs.js';
import { searchNotes } from './search-notes.js';

describe('the search notes of a run summary', () => {
  it("lists each family's notes and the skipped families, in the run's family order", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tm-notes-'));
    const store = new LocalArtifactStore(dir);
    const run = RunSpec.parse({ runId: 'run-notes', modelName: 'm', source: { kind: 'csv', path: 'x.csv' }, schema: {}, families: ['knn', 'mlp', 'decision_tree'] });
    const keys = runKeys(run.runId);
    await putJson(store, keys.familyResult('decision_tree'), { skipped: 'no time left' });
    await putJson(store, keys.familyResult('knn'), { notes: ['knn: searched and fitted on a stratified sample of 20,000 of 80,000 rows (its row cap)'] });
    await putJson(store, keys.familyResult('mlp'), { notes: [] });
    expect(await searchNotes(store, run)).toEqual([
      'knn: searched and fitted on a stratified sample of 20,000 of 80,000 rows (its row cap)',
      'decision_tree: skipped (no time left)',
    ]);
    await rm(dir, { recursive: true, force: true });
  });
});
