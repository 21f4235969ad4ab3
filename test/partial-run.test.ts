import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import pino from 'pino';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CsvFileSource } from '../core/adapters/csv-file-source.js';
import { LocalArtifactStore } from '../core/adapters/local-artifact-store.js';
import { PermanentError } from '../core/errors.js';
import type { ArtifactStore } from '../core/ports/artifact-store.js';
import { ArtifactRegistry } from '../core/registry/artifact-registry.js';
import { loadConfig } from '../schema/index.js';
import { trainCommand } from '../workers/cli/train-command.js';
import { redisConnection } from '../workers/queues.js';
import { startStageWorkers, type StageWorkers } from '../workers/stage-workers.js';
import { claimStoreMarker, StoreMismatchError, storeMarkerKey } from '../workers/store-marker.js';
import { repoPath } from './helpers/datasets.js';
import { dropPrefix, REDIS_URL, testPrefix } from './helpers/redis.js';
import { attackDataset } from './helpers/synthetic.js';

/** A store that refuses the knn family's files, as a full disk or a wrong bucket would. */
function refusingKnn(store: ArtifactStore): ArtifactStore {
  return Object.assign(Object.create(store) as ArtifactStore, {
    put: (key: string, body: Uint8Array | string, opts?: { ifAbsent?: boolean }) =>
      /\/train\/knn\//.test(key) ? Promise.reject(new PermanentError('the store refused the knn pipeline')) : store.put(key, body, opts),
  });
}

/** Runs `threatmatrix train` in this process and returns its exit code and what it printed. */
async function train(argv: string[], env: Record<string, string>) {
  let out = '';
  let err = '';
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  try {
    const code = await trainCommand(argv, loadConfig({ ...process.env, ...env }), pino({ level: 'silent' }));
    return { code, out, err };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

describe('honest outcomes', () => {
  const prefix = testPrefix('partial');
  const conn = redisConnection(REDIS_URL, 'worker');
  let dir: string;
  let workers: StageWorkers;
  let env: Record<string, string>;
  let argv: string[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-partial-'));
    const { csv, schema } = attackDataset(600, 5);
    await writeFile(join(dir, 'attacks.csv'), csv);
    await writeFile(join(dir, 'attacks.json'), JSON.stringify(schema));
    const store = new LocalArtifactStore(join(dir, 'artifacts'));
    workers = startStageWorkers({
      connection: conn,
      prefix,
      deps: { store: refusingKnn(store), registry: new ArtifactRegistry(store), source: (s) => new CsvFileSource(s.kind === 'csv' ? s.path : ''), promotion: { metric: 'macroF1', minDelta: 0 } },
    });
    await workers.ready;
    env = { TM_QUEUE_PREFIX: prefix, TM_ARTIFACTS: join(dir, 'artifacts'), REDIS_URL };
    argv = ['--follow', '--local-worker', 'never', '--data', join(dir, 'attacks.csv'), '--schema', join(dir, 'attacks.json'), '--families', 'decision_tree,knn'];
  });
  afterAll(async () => {
    await workers.close(5_000);
    await dropPrefix(conn, prefix);
    conn.disconnect();
    await rm(dir, { recursive: true, force: true });
  });

  it('a run where a family failed says which and why, stays a candidate and exits 1', async () => {
    const { code, out, err } = await train(argv, env);
    expect(code).toBe(1);
    expect(out).toMatch(/partial run: 1 family failed\n {2}knn: PermanentError: the store refused the knn pipeline/);
    expect(out).toMatch(/model version v1 \(candidate: not promoted: a partial run \(knn failed\)/);
    expect(err).toMatch(/is partial \(knn failed\): exit 1; --allow-partial accepts it/);
    const registry = new ArtifactRegistry(new LocalArtifactStore(join(dir, 'artifacts')));
    expect(await registry.alias('attacks', 'production')).toBeUndefined();
    expect((await registry.get('attacks', 1))?.manifest).toMatchObject({ family: 'decision_tree', allowPartial: false, failures: [{ family: 'knn', error: expect.stringMatching(/refused/) }] });
  }, 120_000);

  it('with --allow-partial the same run is promoted as usual, exits 0 and still names the failure (here with --test-size and --refit-all)', async () => {
    const { code, out } = await train([...argv, '--allow-partial', '--test-size', '0.25', '--refit-all'], env);
    expect(code).toBe(0);
    expect(out).toMatch(/partial run: 1 family failed/);
    expect(out).toMatch(/model version v2 \(production/);
    expect(out).toMatch(/metrics on the held-out rows; the registered pipeline was then refitted on all rows/);
    const registry = new ArtifactRegistry(new LocalArtifactStore(join(dir, 'artifacts')));
    expect((await registry.get('attacks', 'production'))?.manifest).toMatchObject({
      version: 2,
      allowPartial: true,
      evaluation: { metricsOn: 'held-out test rows', trainRows: 450, testRows: 150, refitOnAllRows: true },
    });
  }, 120_000);

  it('refuses bad run options in one line', async () => {
    await expect(train([...argv, '--test-size', '1.5'], env)).rejects.toThrow(/^--test-size: /);
  });
});

describe('one artifact store per queue prefix', () => {
  const prefix = testPrefix('store');
  const redis = new Redis(REDIS_URL);
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-store-'));
  });
  afterAll(async () => {
    await dropPrefix(redis, prefix);
    redis.disconnect();
    await rm(dir, { recursive: true, force: true });
  });

  it('lets processes on the same store share a prefix and refuses another store', async () => {
    await claimStoreMarker(redis, prefix, new LocalArtifactStore(join(dir, 'a')));
    await claimStoreMarker(redis, prefix, new LocalArtifactStore(join(dir, 'a')));
    await expect(claimStoreMarker(redis, prefix, new LocalArtifactStore(join(dir, 'b')))).rejects.toThrow(StoreMismatchError);
    expect(JSON.parse((await redis.get(storeMarkerKey(prefix)))!)).toMatchObject({ location: expect.stringContaining(join(dir, 'a')) });
  });

  it('a worker on another store exits non-zero with one clear line', async () => {
    const env = { ...process.env, REDIS_URL, TM_QUEUE_PREFIX: prefix, TM_ARTIFACTS: join(dir, 'b'), LOG_LEVEL: 'warn' };
    const child = spawn(process.execPath, [repoPath('api/bin/threatmatrix.mjs'), 'worker'], { cwd: repoPath(''), env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^refusing to start: queue prefix "tmtest-store-\w+" is used with the artifact store at .*\/a \(id [\w-]+\), and this process's TM_ARTIFACTS is .*\/b/);
  }, 60_000);
});
