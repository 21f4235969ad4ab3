import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunSpec, type RunSpecInput } from '../../schema/jobs.js';
import { attackDataset } from '../../test/helpers/synthetic.js';
import { CsvFileSource } from '../adapters/csv-file-source.js';
import { LocalArtifactStore } from '../adapters/local-artifact-store.js';
import { decodeDataset } from '../artifacts/dataset-codec.js';
import { getJson } from '../artifacts/json.js';
import { ArtifactRegistry } from '../registry/artifact-registry.js';
import type { ChampionComparison } from '../registry/promotion.js';
import { rowHashes, rowsOutside } from '../registry/training-rows.js';
import { runKeys } from './run-keys.js';
import { runLocally } from './run-locally.js';
import type { StageDeps } from './stage-deps.js';

describe('register: promotion against production', () => {
  let dir: string;
  let deps: StageDeps;
  let csvPath: string;
  const { csv, schema } = attackDataset(900, 21);
  const spec = (runId: string, extra: Partial<RunSpecInput> = {}) =>
    RunSpec.parse({ runId, modelName: 'attacks', source: { kind: 'csv', path: csvPath }, schema, families: ['decision_tree'], ...extra });
  const comparisonOf = async (runId: string) => (await getJson<{ comparison: ChampionComparison }>(deps.store, runKeys(runId).metrics))!.comparison;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-promo-'));
    csvPath = join(dir, 'attacks.csv');
    await writeFile(csvPath, csv);
    const store = new LocalArtifactStore(join(dir, 'artifacts'));
    deps = { store, registry: new ArtifactRegistry(store), source: (s) => new CsvFileSource(s.kind === 'csv' ? s.path : ''), promotion: { metric: 'macroF1', minDelta: 0 } };
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  // (A row that also occurs in the training split, a duplicate in the data, is left out: production saw it.)
  it('keeps production when a retrain on the same data ties it', async () => {
    expect(await runLocally(spec('run-one'), deps)).toMatchObject({ version: 1, promoted: true });
    const again = await runLocally(spec('run-two'), deps);
    expect(again).toMatchObject({ version: 2, promoted: false });
    expect(again.reason).toMatch(/^macroF1 \+0\.0000 \(.+ vs production v1 .+\) on 1[78]\d of 180 test rows outside v1's training rows; 95% one-sided lower bound \+0\.0000 .+kept as a candidate$/);
    expect(await deps.registry.alias('attacks', 'production')).toBe(1);
    expect((await deps.registry.aliasState('attacks', 'production')).events).toHaveLength(1);
  });

  it("never scores production on rows it was trained on when a new split draws them into the test set", async () => {
    await runLocally(spec('run-one'), deps);
    const trainOne = decodeDataset((await deps.store.get(runKeys('run-one').train))!);
    // Another seed, another split: most of this run's test rows were production's training rows.
    deps.promotion = { ...deps.promotion, minRows: 10 };
    await runLocally(spec('run-two', { seed: 7 }), deps);
    const testTwo = decodeDataset((await deps.store.get(runKeys('run-two').test))!);
    const unseen = rowsOutside(rowHashes(testTwo), Float64Array.from(rowHashes(trainOne)).sort()).length;
    expect(unseen).toBeGreaterThan(10);
    expect(unseen).toBeLessThan(90);
    expect(await comparisonOf('run-two')).toMatchObject({ version: 1, testRows: 180, rows: unseen });
    // With the default floor of 100 rows there are too few to compare.
    deps.promotion = { metric: 'macroF1', minDelta: 0 };
    const third = await runLocally(spec('run-three', { seed: 7 }), deps);
    expect(third).toMatchObject({ promoted: false, reason: `not promoted: only ${unseen} of 180 test rows lie outside production v1's training rows (at least 100 needed to compare)` });
  });

  it("reads an older production's training rows from its run's train split, and refuses when that is gone too", async () => {
    await runLocally(spec('run-one'), deps);
    await deps.store.delete('models/attacks/v1/training-rows-v2.bin');
    await runLocally(spec('run-two', { seed: 7 }), { ...deps, promotion: { ...deps.promotion, minRows: 10 } });
    const trainOne = decodeDataset((await deps.store.get(runKeys('run-one').train))!);
    const testTwo = decodeDataset((await deps.store.get(runKeys('run-two').test))!);
    expect(await comparisonOf('run-two')).toMatchObject({ rows: rowsOutside(rowHashes(testTwo), Float64Array.from(rowHashes(trainOne)).sort()).length });
    await deps.store.delete(runKeys('run-one').train);
    const third = await runLocally(spec('run-three'), deps);
    expect(third).toMatchObject({ promoted: false, reason: expect.stringContaining('production v1 has no record of its training rows') });
  });

  it('finds no fair rows against a production refitted on every row of the same data', async () => {
    await runLocally(spec('run-one', { refitAll: true }), deps);
    expect((await deps.registry.trainingRows('attacks', 1))!.length).toBe(900);
    const again = await runLocally(spec('run-two'), deps);
    expect(again).toMatchObject({ promoted: false, reason: expect.stringContaining('only 0 of 180 test rows') });
  });
});
