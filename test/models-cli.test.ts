import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../core/adapters/local-artifact-store.js';
import { registerFitted } from './helpers/fitted-model.js';
import { attackDataset } from './helpers/synthetic.js';
import { readCsvText, repoPath, schemaOf } from './helpers/datasets.js';
import { globalImportance } from '../core/explain/global-importance.js';

describe('threatmatrix models history | pin | unpin | threshold', () => {
  let dir: string;
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('pins production so runs cannot promote, and shows the audit trail', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-models-cli-'));
    const store = new LocalArtifactStore(join(dir, 'store'));
    const { csv, schema } = attackDataset(300, 2);
    await writeFile(join(dir, 'a.csv'), csv);
    const { registry } = await registerFitted(store, { name: 'attacks', csv: join(dir, 'a.csv'), schema, kind: 'decision_tree', runId: 'r1' });
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, [repoPath('api/bin/threatmatrix.mjs'), 'models', ...args, '--name', 'attacks'], { cwd: repoPath(''), env: { ...process.env, TM_ARTIFACTS: join(dir, 'store'), LOG_LEVEL: 'silent' }, encoding: 'utf8' });
    const pin = cli('pin', '--note', 'incident 42');
    expect(pin.status, pin.stderr).toBe(0);
    expect(pin.stdout).toContain('attacks production v1 pinned');
    // A run's promotion is refused while pinned.
    await registerFitted(store, { name: 'attacks', csv: join(dir, 'a.csv'), schema, kind: 'logistic_regression', runId: 'r2' });
    expect((await registry.versions('attacks')).map((v) => v.version)).toEqual([1, 2]);
    expect(await registry.alias('attacks', 'production')).toBe(1);
    const history = cli('history');
    expect(history.status, history.stderr).toBe(0);
    expect(history.stdout).toMatch(/auto-promote\s+- -> v1\s+by test: fitted model/);
    expect(history.stdout).toMatch(/pin\s+v1 -> v1 \(pinned\)\s+by cli:\S+: incident 42/);
    expect(history.stdout).toContain('production: v1, pinned');
  }, 240_000);

  it('models show <v> prints the version with its global importance, largest first', async () => {
    const store = new LocalArtifactStore(join(dir, 'show-store'));
    const { csv, schema } = attackDataset(300, 3);
    await writeFile(join(dir, 'b.csv'), csv);
    const { registry, pipeline } = await registerFitted(store, { name: 'attacks', csv: join(dir, 'b.csv'), schema, kind: 'random_forest', runId: 'r1', params: { nEstimators: 5 } });
    const v1 = (await registry.get('attacks', 1))!;
    const { dataset } = await readCsvText(csv, schemaOf(schema));
    const importance = (await globalImportance(pipeline, dataset.features))!;
    await registry.register('attacks', v1.model, { ...v1.manifest, runId: 'r2', importance });
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, [repoPath('api/bin/threatmatrix.mjs'), 'models', ...args, '--name', 'attacks'], { cwd: repoPath(''), env: { ...process.env, TM_ARTIFACTS: join(dir, 'show-store'), LOG_LEVEL: 'silent' }, encoding: 'utf8' });
    const shown = cli('show', '2');
    expect(shown.status, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('attacks v2  random_forest');
    expect(shown.stdout).toContain('importance: mean |SHAP| (probability) on 300 test rows');
    const listed = shown.stdout.split('\n').filter((l) => /^ {2}\S+\s+\d\.\d{4}$/.test(l)).map((l) => l.trim().split(/\s+/)[0]);
    expect(listed).toEqual(importance.features.map((f) => f.feature));
    expect(cli('show', '1').stdout).toContain('importance: none');
    expect(cli('show', '9').status).toBe(1);
    expect(cli('show').status).toBe(2);
  });

  it('sets a version threshold with an audit entry, and says why a rule cannot be applied to an old version', async () => {
    const tdir = await mkdtemp(join(tmpdir(), 'tm-threshold-cli-'));
    try {
      const store = new LocalArtifactStore(join(tdir, 'store'));
      const { csv, schema } = attackDataset(300, 3);
      await writeFile(join(tdir, 'a.csv'), csv);
      const { registry } = await registerFitted(store, { name: 'attacks', csv: join(tdir, 'a.csv'), schema, kind: 'decision_tree', runId: 't1' });
      const cli = (...args: string[]) =>
        spawnSync(process.execPath, [repoPath('api/bin/threatmatrix.mjs'), 'models', 'threshold', ...args, '--name', 'attacks'], {
          cwd: repoPath(''),
          env: { ...process.env, TM_ARTIFACTS: join(tdir, 'store'), TM_QUEUE_PREFIX: `tmtest-threshold-cli-${process.pid}`, LOG_LEVEL: 'silent' },
          encoding: 'utf8',
        });
      const set = cli('1', '0.7', '--note', 'quieter nights');
      expect(set.status, set.stderr).toBe(0);
      expect(set.stdout).toContain('attacks v1 threshold 0.5 -> 0.7');
      expect(await registry.threshold('attacks', 1)).toEqual({ threshold: 0.7, seq: 1 });
      const show = cli('1');
      expect(show.status, show.stderr).toBe(0);
      expect(show.stdout).toMatch(/0\.5 -> 0\.7\s+by cli:\S+: quieter nights/);
      expect(show.stdout).toContain('attacks v1 threshold: 0.7');
      // A version registered without out-of-fold scores has nothing for a rule to choose on.
      const rule = cli('1', '--max-fpr', '0.01');
      expect(rule.status).toBe(1);
      expect(rule.stderr).toContain('no out-of-fold scores');
      const bad = cli('1', '1.5');
      expect(bad.status).toBe(2);
      expect(bad.stderr).toContain('<value>: must be a number from 0 to 1, got 1.5');
    } finally {
      await rm(tdir, { recursive: true, force: true });
    }
  }, 240_000);
});
