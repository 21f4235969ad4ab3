import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../core/adapters/local-artifact-store.js';
import { importXgboost } from '../core/models/xgboost/import-xgboost.js';
import { DatasetSchema } from '../schema/index.js';
import { readCsvText, repoPath, schemaOf } from './helpers/datasets.js';
import { registerFitted } from './helpers/fitted-model.js';
import { attackDataset } from './helpers/synthetic.js';

describe('threatmatrix models export <v> --xgboost', () => {
  let dir: string;
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes a gradient-boosting version as XGBoost JSON that scores its model matrix as the version does, and refuses other families', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-models-export-'));
    const store = new LocalArtifactStore(join(dir, 'store'));
    const { csv, schema } = attackDataset(600, 4);
    await writeFile(join(dir, 'a.csv'), csv);
    const { pipeline } = await registerFitted(store, { name: 'attacks', csv: join(dir, 'a.csv'), schema, kind: 'gradient_boosting', runId: 'r1', params: { maxIter: 10, earlyStopping: false } });
    await registerFitted(store, { name: 'attacks', csv: join(dir, 'a.csv'), schema, kind: 'decision_tree', runId: 'r2' });
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, [repoPath('api/bin/threatmatrix.mjs'), 'models', 'export', ...args, '--name', 'attacks'], { cwd: repoPath(''), env: { ...process.env, TM_ARTIFACTS: join(dir, 'store'), LOG_LEVEL: 'silent' }, encoding: 'utf8' });
    const out = join(dir, 'v1.json');
    const ok = cli('1', '--xgboost', out);
    expect(ok.status, ok.stderr).toBe(0);
    const names = pipeline.preprocessor.outputNames;
    expect(ok.stdout).toContain(`attacks v1 exported to ${out}: XGBoost JSON, 30 trees, ${names.length} features`);

    // Read back against the model matrix's columns: the same probabilities as the version's model.
    const matrixSchema = DatasetSchema.parse({ name: 'matrix', features: names.map((name) => ({ name, kind: 'numeric' })), label: { name: 'label', classes: pipeline.classes, threat: [pipeline.classes[0]] } });
    const imported = importXgboost(await readFile(out, 'utf8'), matrixSchema);
    const { dataset } = await readCsvText(csv, schemaOf(schema));
    const X = pipeline.preprocessor.transform(dataset.features);
    const want = pipeline.model.predictProba(X);
    const got = imported.model.predictProba(X);
    let worst = 0;
    want.forEach((p, i) => (worst = Math.max(worst, Math.abs(p - got[i]))));
    expect(worst).toBeLessThan(1e-6);

    const tree = cli('2', '--xgboost', join(dir, 'v2.json'));
    expect(tree.status).toBe(2);
    expect(tree.stderr).toContain('attacks v2 is decision_tree: only gradient_boosting versions export to XGBoost');
    expect(cli('9', '--xgboost', join(dir, 'v9.json')).stderr).toContain('no version 9 of attacks');
    expect(cli('1').status).toBe(2);
  }, 120_000);
});
