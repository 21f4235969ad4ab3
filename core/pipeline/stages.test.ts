import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunSpec, type RunSpecInput } from '../../schema/jobs.js';
import { attackDataset } from '../../test/helpers/synthetic.js';
import { CsvFileSource } from '../adapters/csv-file-source.js';
import { LocalArtifactStore } from '../adapters/local-artifact-store.js';
import { getJson } from '../artifacts/json.js';
import { DataError } from '../errors.js';
import { ArtifactRegistry } from '../registry/artifact-registry.js';
import type { ValidationReport } from '../validation/validate-dataset.js';
import { runKeys } from './run-keys.js';
import { runLocally } from './run-locally.js';
import type { StageDeps } from './stage-deps.js';

describe('training stages, run in process', () => {
  let dir: string;
  let deps: StageDeps;
  let csvPath: string;
  const { csv, schema } = attackDataset(900, 21);
  const spec = (runId: string, extra: Partial<RunSpecInput> = {}) =>
    RunSpec.parse({ runId, modelName: 'attacks', source: { kind: 'csv', path: csvPath }, schema, families: ['decision_tree', 'random_forest'], ...extra });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-run-'));
    csvPath = join(dir, 'attacks.csv');
    await writeFile(csvPath, csv);
    const store = new LocalArtifactStore(join(dir, 'artifacts'));
    deps = { store, registry: new ArtifactRegistry(store), source: (s) => new CsvFileSource(s.kind === 'csv' ? s.path : ''), promotion: { metric: 'macroF1', minDelta: 0.01 } };
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('runs ingest -> validate -> transform -> train -> register and promotes v1', async () => {
    const stages: string[] = [];
    const r = await runLocally(spec('run-one'), deps, (s) => stages.push(s));
    expect(stages).toEqual(['ingest', 'validate', 'transform', 'train-family:decision_tree', 'train-family:random_forest', 'register']);
    expect(r).toMatchObject({ version: 1, promoted: true });
    expect(r.metrics.macroF1).toBeGreaterThan(0.7);
    const keys = runKeys('run-one');
    for (const k of [keys.dataset, keys.validation, keys.drift, keys.train, keys.test, keys.transform, keys.familyPipeline('random_forest'), keys.metrics]) {
      expect(await deps.store.exists(k), k).toBe(true);
    }
    // The transform stage profiles the preprocessing and stores only that: families fit their own per fold and refit.
    expect(await deps.store.list('runs/run-one/transform/')).toEqual([keys.transform]);
    expect(await deps.registry.alias('attacks', 'production')).toBe(1);
    const [manifest] = await deps.registry.versions('attacks');
    expect(manifest).toMatchObject({ runId: 'run-one', schemaHash: expect.stringMatching(/^[0-9a-f]{64}$/), dataDigest: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('keeps a model that does not beat production by the margin as a candidate', async () => {
    await runLocally(spec('run-one'), deps);
    const again = await runLocally(spec('run-two'), deps);
    expect(again).toMatchObject({ version: 2, promoted: false, reason: expect.stringContaining('candidate') });
    expect(await deps.registry.alias('attacks', 'production')).toBe(1);
  });

  it('fails a run whose CSV breaks the schema, with the validation report stored', async () => {
    await writeFile(csvPath, csv.replace(/\n(\d+),[\d.]+,/, '\n$1,lots,'));
    const err = await runLocally(spec('run-bad'), deps).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect(err).toMatchObject({ rule: 'numeric', column: 'bytes' });
    const report = await getJson<ValidationReport>(deps.store, runKeys('run-bad').validation);
    expect(report?.ok).toBe(false);
    expect(await deps.registry.versions('attacks')).toEqual([]);
  });
});
