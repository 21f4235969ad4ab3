import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../core/adapters/local-artifact-store.js';
import { ArtifactRegistry } from '../core/registry/artifact-registry.js';
import { dropTestState, REDIS_URL, testPrefix } from './helpers/redis.js';
import { repoPath } from './helpers/datasets.js';

const run = promisify(execFile);

describe('threatmatrix train --follow', () => {
  const prefix = testPrefix('cli');
  let dir: string;
  afterAll(async () => {
    await dropTestState(prefix, dir);
  });

  it('runs the whole flow on data/phishing.csv with its own workers and registers v1 as production', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-cli-'));
    const env = { ...process.env, TM_QUEUE_PREFIX: prefix, TM_ARTIFACTS: join(dir, 'artifacts'), REDIS_URL };
    const { stdout, stderr } = await run(process.execPath, [repoPath('api/bin/threatmatrix.mjs'), 'train', '--follow', '--families', 'decision_tree,random_forest'], {
      cwd: repoPath(''),
      env,
      timeout: 120_000,
    });
    expect(stderr).toMatch(/ingest: done/);
    expect(stderr).toMatch(/train random_forest: done/);
    expect(stdout).toMatch(/model version v1 \(production/);
    expect(stdout).toMatch(/f1\s+0\.9[67]\d\d/);
    const registry = new ArtifactRegistry(new LocalArtifactStore(join(dir, 'artifacts')));
    expect(await registry.alias('phishing', 'production')).toBe(1);
    const { stdout: models } = await run(process.execPath, [repoPath('api/bin/threatmatrix.mjs'), 'models'], { cwd: repoPath(''), env });
    expect(models).toMatch(/^phishing v1 \(production\)/m);
  });

  it('refuses a run file or a time budget that breaks a rule, naming each path and rule, before enqueueing', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'tm-cli-config-'));
    const file = join(tmp, 'run.yaml');
    await writeFile(file, 'timeBudget: 3m\nsearch:\n  gradient_boosting:\n    grid: { learningRate: [0.1, 0], maxIter: [100] }\n  knn:\n    fixed: { weights: closest }\n');
    const env = { ...process.env, TM_QUEUE_PREFIX: prefix, TM_ARTIFACTS: join(tmp, 'artifacts'), REDIS_URL };
    const cli = (args: string[]) => run(process.execPath, [repoPath('api/bin/threatmatrix.mjs'), 'train', ...args], { cwd: repoPath(''), env }).catch((e: { code: number; stderr: string }) => e);
    const bad = await cli(['--config', file]);
    expect(bad).toMatchObject({ code: 2 });
    expect(bad.stderr).toContain('search.gradient_boosting.grid.learningRate[1]: must be > 0');
    expect(bad.stderr).toContain('search.knn.fixed.weights: must be one of uniform, distance');
    const soon = await cli(['--time-budget', 'soon']);
    expect(soon).toMatchObject({ code: 2, stderr: expect.stringContaining('--time-budget soon: must be seconds or a duration') });
    await rm(tmp, { recursive: true, force: true });
  });

  it('names the stage that failed first and why when validation fails, not the parent it failed', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'tm-cli-invalid-'));
    const [header, ...rows] = (await readFile(repoPath('data/phishing.csv'), 'utf8')).trim().split('\n').slice(0, 600);
    // 5 is outside having_IP_Address's allowed values (-1, 0, 1) in one row of every ten.
    const bad = rows.map((r, i) => (i % 10 === 0 ? `5${r.slice(r.indexOf(','))}` : r));
    await writeFile(join(tmp, 'bad.csv'), `${header}\n${bad.join('\n')}\n`);
    // A queue prefix of its own: its artifact store differs from the first test's (see store-marker).
    const own = testPrefix('cli-invalid');
    const env = { ...process.env, TM_QUEUE_PREFIX: own, TM_ARTIFACTS: join(tmp, 'artifacts'), REDIS_URL };
    const failed = await run(process.execPath, [repoPath('api/bin/threatmatrix.mjs'), 'train', '--follow', '--families', 'decision_tree', '--data', join(tmp, 'bad.csv')], { cwd: repoPath(''), env, timeout: 120_000 }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(failed.code, failed.stderr).toBe(1);
    expect(failed.stderr).toMatch(/^run \S+ failed at validate: .*having_IP_Address/m);
    expect(failed.stderr).not.toMatch(/^run \S+ failed: child /m);
    await dropTestState(own, tmp);
  });
});
