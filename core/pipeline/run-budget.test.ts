import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunSpec, withDeadline } from '../../schema/jobs.js';
import { attackDataset } from '../../test/helpers/synthetic.js';
import { CsvFileSource } from '../adapters/csv-file-source.js';
import { LocalArtifactStore } from '../adapters/local-artifact-store.js';
import { getJson } from '../artifacts/json.js';
import { ArtifactRegistry } from '../registry/artifact-registry.js';
import { DEFAULT_FAMILIES } from '../tuning/families.js';
import { runKeys } from './run-keys.js';
import { runLocally } from './run-locally.js';
import type { StageDeps } from './stage-deps.js';

describe('a run with a time budget', () => {
  let dir: string;
  let deps: StageDeps;
  let csvPath: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-budget-'));
    csvPath = join(dir, 'attacks.csv');
    await writeFile(csvPath, attackDataset(1500, 41).csv);
    const store = new LocalArtifactStore(join(dir, 'artifacts'));
    deps = { store, registry: new ArtifactRegistry(store), source: (s) => new CsvFileSource(s.kind === 'csv' ? s.path : ''), promotion: { metric: 'macroF1', minDelta: 0 } };
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('registers the best model so far within its budget + 10 %, the families with no time left reported skipped', async () => {
    const budget = 6;
    const run = withDeadline(
      RunSpec.parse({ runId: 'run-budget', modelName: 'attacks', source: { kind: 'csv', path: csvPath }, schema: attackDataset(1, 41).schema, timeBudgetSeconds: budget }),
    );
    const r = await runLocally(run, deps);
    // The run's recorded start is its deadline minus the budget; registration is its end.
    const elapsed = (Date.now() - (run.deadline! - budget * 1000)) / 1000;
    expect(r).toMatchObject({ version: 1, promoted: true });
    expect(r.metrics.macroF1).toBeGreaterThan(0.6);
    expect(elapsed).toBeLessThan(budget * 1.1);
    const outcomes = await Promise.all(DEFAULT_FAMILIES.map((f) => getJson<{ skipped?: string; cvF1?: number }>(deps.store, runKeys('run-budget').familyResult(f.kind))));
    const skipped = DEFAULT_FAMILIES.filter((_, i) => outcomes[i]?.skipped === 'no time left').map((f) => f.kind);
    const searched = DEFAULT_FAMILIES.filter((_, i) => typeof outcomes[i]?.cvF1 === 'number').map((f) => f.kind);
    expect(searched[0]).toBe('gradient_boosting');
    expect(skipped.length).toBeGreaterThan(0);
    expect(skipped.length + searched.length).toBe(DEFAULT_FAMILIES.length);
  });
});
