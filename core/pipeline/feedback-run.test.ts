import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunSpec } from '../../schema/jobs.js';
import { attackDataset } from '../../test/helpers/synthetic.js';
import { CsvFileSource } from '../adapters/csv-file-source.js';
import { LocalArtifactStore } from '../adapters/local-artifact-store.js';
import { sha256 } from '../artifacts/digest.js';
import { getJson } from '../artifacts/json.js';
import type { IngestResult } from '../../schema/jobs.js';
import { ArtifactRegistry } from '../registry/artifact-registry.js';
import { runKeys } from './run-keys.js';
import { runLocally } from './run-locally.js';
import { ingest, validate } from './stages.js';
import type { StageDeps } from './stage-deps.js';

describe('a run with feedback rows', () => {
  let dir: string;
  let deps: StageDeps;
  const { csv, schema } = attackDataset(900, 21);
  // Traffic of the same kind, labelled: the feedback CSV holds the schema's columns only.
  const traffic = attackDataset(300, 22).csv.replace(/^flow_id,|\n\d+,/g, (m) => (m.startsWith('\n') ? '\n' : ''));
  const key = 'feedback-datasets/attacks/run-fb.csv';
  const window = { model: 'attacks', version: 1, windowId: '1764500000000-1764500300000-v1', fromMs: 1764500000000, toMs: 1764500300000, sinceMs: 1763900000000 };
  const spec = (runId: string, body: string, extra: object = {}) =>
    RunSpec.parse({ runId, modelName: 'attacks', source: { kind: 'csv', path: join(dir, 'attacks.csv') }, schema, families: ['decision_tree'], feedback: { key, rows: 300, digest: sha256(body), share: 0.5, window }, ...extra });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-fb-run-'));
    await writeFile(join(dir, 'attacks.csv'), csv);
    const store = new LocalArtifactStore(join(dir, 'artifacts'));
    deps = { store, registry: new ArtifactRegistry(store), source: (s) => new CsvFileSource(s.kind === 'csv' ? s.path : ''), promotion: { metric: 'macroF1', minDelta: 0 } };
    await store.put(key, traffic);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('tests on a fifth of the feedback, trains on the rest and a source sample, and records both in the version', async () => {
    expect(traffic.slice(0, traffic.indexOf('\n'))).toBe('bytes,duration,protocol,service,label');
    const result = await runLocally(spec('run-fb', traffic, { refitAll: true }), deps);
    expect(result).toMatchObject({ version: 1, promoted: true, refitAll: true });
    const manifest = (await deps.registry.get('attacks', 1))!.manifest;
    expect(manifest.feedback).toMatchObject({ key, digest: sha256(traffic), rows: 300, window });
    const f = manifest.feedback!;
    expect(f.testRows).toBeGreaterThan(50);
    expect(f.testRows).toBeLessThan(70);
    expect(f.trainRows).toBe(300 - f.testRows);
    expect(f.sourceTrainRows).toBe(f.trainRows); // share 0.5: as many source rows as feedback training rows
    expect(manifest.evaluation).toMatchObject({ testRows: f.testRows });
    // Refitted on the same source sample and every feedback row.
    expect((await deps.registry.trainingRows('attacks', 1))!.length).toBe(f.sourceTrainRows + 300);
    // Source rows whose features a feedback row has (rounded synthetic values meet now and then) gave way to it.
    expect(await getJson<IngestResult>(deps.store, runKeys('run-fb').ingestSummary)).toMatchObject({ rows: 1200 - f.superseded, feedback: { rows: 300, superseded: f.superseded } });
    expect(f.superseded).toBeLessThan(20);
  });

  it('refuses feedback rows that changed since the run started, and fails validation naming them', async () => {
    await expect(ingest(spec('run-changed', `${traffic}1,1,tcp,http,dos\n`), deps)).rejects.toThrow(/feedback rows feedback-datasets\/attacks\/run-fb\.csv changed since the run started/);
    const bad = traffic.replace(/\n[\d.]+,/, '\nlots,');
    await deps.store.put(key, bad);
    const run = spec('run-bad', bad);
    await ingest(run, deps);
    await expect(validate(run, deps)).rejects.toThrow(/feedback rows \(feedback-datasets\/attacks\/run-fb\.csv\): column bytes must hold numbers/);
  });
});
