/**
 * Credentials inside a data URI (issue 12, defect 10): the workers get the real URI, but the job
 * data in Redis (what Bull Board shows), the stored run spec, the run listing and the CLI's output
 * only ever hold the redacted form.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../api/app.js';
import { ModelHolder } from '../api/serving/model-holder.js';
import { CsvFileSource } from '../core/adapters/csv-file-source.js';
import { LocalArtifactStore } from '../core/adapters/local-artifact-store.js';
import { runKeys } from '../core/pipeline/run-keys.js';
import { ArtifactRegistry } from '../core/registry/artifact-registry.js';
import { STAGES, type SourceSpec, type StageName } from '../schema/jobs.js';
import { sourceFromArg } from '../schema/source-arg.js';
import { RunProducer } from '../workers/flow.js';
import { QUEUE_OF, redisConnection } from '../workers/queues.js';
import { startStageWorkers, type StageWorkers } from '../workers/stage-workers.js';
import { repoPath } from './helpers/datasets.js';
import { dropPrefix, REDIS_URL, testPrefix } from './helpers/redis.js';
import { listen } from './helpers/served.js';
import { attackDataset } from './helpers/synthetic.js';

const SECRET = 'Pw-7f3a91c4e2';
const ADMIN = 'admin-key-secrets';

/** Every value under the prefix in Redis except the held secrets, as one string. */
async function redisText(conn: Redis, prefix: string): Promise<string> {
  const keys = (await conn.keys(`${prefix}:*`)).filter((k) => !k.includes(':run-secret:'));
  const parts: string[] = [];
  for (const k of keys) {
    const type = await conn.type(k);
    if (type === 'hash') parts.push(JSON.stringify(await conn.hgetall(k)));
    else if (type === 'string') parts.push((await conn.get(k)) ?? '');
    else if (type === 'list') parts.push((await conn.lrange(k, 0, -1)).join(' '));
    else if (type === 'zset') parts.push((await conn.zrange(k, 0, -1)).join(' '));
    else if (type === 'set') parts.push((await conn.smembers(k)).join(' '));
    else if (type === 'stream') parts.push(JSON.stringify(await conn.xrange(k, '-', '+')));
  }
  return `${keys.join(' ')} ${parts.join(' ')}`;
}

async function filesText(dir: string): Promise<string> {
  const names = await readdir(dir, { recursive: true, withFileTypes: true });
  const texts = await Promise.all(names.filter((e) => e.isFile()).map((e) => readFile(join(e.parentPath, e.name), 'latin1')));
  return texts.join('\n');
}

describe('credentials in a data URI', () => {
  const prefix = testPrefix('secrets');
  let dir: string;
  let conn: Redis;
  let workers: StageWorkers;
  let producer: RunProducer;
  let queues: Record<StageName, Queue>;
  let http: Awaited<ReturnType<typeof listen>>;
  const seen: SourceSpec[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-secrets-'));
    const { csv, schema } = attackDataset(400, 5);
    await writeFile(join(dir, 'attacks.csv'), csv);
    await writeFile(join(dir, 'schema.json'), JSON.stringify(schema));
    const store = new LocalArtifactStore(join(dir, 'artifacts'));
    const registry = new ArtifactRegistry(store);
    conn = redisConnection(REDIS_URL, 'worker');
    // The MongoDB collection is stood in for by the CSV; what matters is the URI the worker is handed.
    const source = (s: SourceSpec) => {
      seen.push(s);
      return new CsvFileSource(join(dir, 'attacks.csv'));
    };
    workers = startStageWorkers({ connection: conn, prefix, deps: { store, registry, source, promotion: { metric: 'macroF1', minDelta: 0 } } });
    producer = new RunProducer(conn, prefix);
    queues = Object.fromEntries(STAGES.map((s) => [s, new Queue(QUEUE_OF[s], { connection: conn, prefix })])) as Record<StageName, Queue>;
    const app = buildApp({
      models: new ModelHolder('attacks', registry, store),
      registry,
      redisOk: async () => true,
      keys: { predict: [], admin: [ADMIN] },
      training: { enqueue: (run) => producer.enqueue(run), cancel: async () => ({ state: 'unknown', removed: 0, stillActive: 0 }), queues, store, defaults: { modelName: 'attacks', source: { kind: 'csv', path: join(dir, 'attacks.csv') }, schema }, source: sourceFromArg, dataRoots: [dir] },
    });
    http = await listen(app.fetch);
  });
  afterAll(async () => {
    await http.close();
    await workers.close(5_000);
    await Promise.all(Object.values(queues).map((q) => q.close()));
    await producer.close();
    await dropPrefix(conn, prefix);
    conn.disconnect();
    await rm(dir, { recursive: true, force: true });
  });

  const call = (method: string, path: string, body?: object) =>
    fetch(`${http.base}${path}`, { method, headers: { authorization: `Bearer ${ADMIN}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body && JSON.stringify(body) });

  it('runs with the real URI, and shows, stores and queues only the redacted one', { timeout: 120_000 }, async () => {
    const data = `mongodb://tmuser:${SECRET}@db.example:27017/tm?authSource=admin`;
    const res = await call('POST', '/v1/training-runs', { data, collection: 'attacks', families: ['decision_tree'] });
    expect(res.status).toBe(202);
    const { runId } = (await res.json()) as { runId: string };
    expect(await redisText(conn, prefix)).not.toContain(SECRET);
    let detail = '';
    for (let i = 0; i < 600 && !/"result"/.test(detail); i++) {
      await new Promise((r) => setTimeout(r, 100));
      detail = await (await call('GET', `/v1/training-runs/${runId}`)).text();
    }
    expect(detail).toMatch(/"result"/);
    // The worker was handed the real URI.
    expect(seen.map((s) => ('uri' in s ? s.uri : ''))).toContain(data);
    expect(detail).not.toContain(SECRET);
    const spec = JSON.parse(await readFile(join(dir, 'artifacts', runKeys(runId).spec), 'utf8')) as { source: { uri: string } };
    expect(spec.source.uri).toBe('mongodb://tmuser:***@db.example:27017/tm?authSource=admin');
    expect(await (await call('GET', '/v1/training-runs')).text()).not.toContain(SECRET);
    expect(await redisText(conn, prefix)).not.toContain(SECRET);
    expect(await filesText(join(dir, 'artifacts'))).not.toContain(SECRET);
  });

  it('threatmatrix train keeps the secret out of its output and the queued jobs', { timeout: 120_000 }, async () => {
    const cliPrefix = `${prefix}-cli`;
    const data = `s3://bucket/attacks.csv?X-Amz-Credential=AKIAEXAMPLE&X-Amz-Signature=${SECRET}`;
    const r = spawnSync(process.execPath, [repoPath('api/bin/threatmatrix.mjs'), 'train', '--data', data, '--schema', join(dir, 'schema.json'), '--families', 'decision_tree', '--local-worker', 'never'], {
      cwd: repoPath(''),
      encoding: 'utf8',
      env: { ...process.env, REDIS_URL, TM_QUEUE_PREFIX: cliPrefix, TM_ARTIFACTS: join(dir, 'cli-artifacts'), LOG_LEVEL: 'debug' },
      timeout: 100_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
    const text = await redisText(conn, cliPrefix);
    expect(text).toContain('X-Amz-Signature');
    expect(text).not.toContain(SECRET);
    await dropPrefix(conn, cliPrefix);
  });
});
