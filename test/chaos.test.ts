import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { repoPath } from './helpers/datasets.js';
import { startSilentServer } from './helpers/fake-mlflow.js';
import { startOwnRedis } from './helpers/own-redis.js';
import { childProcessesOf, processAlive } from './helpers/processes.js';
import { testPrefix } from './helpers/redis.js';

const cli = repoPath('api/bin/threatmatrix.mjs');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const until = async (cond: () => boolean | Promise<boolean>, ms: number) => {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(200)) if (await cond()) return true;
  return cond();
};

/**
 * Chaos with real processes: two workers, a silent MLflow, Redis on its own port with an
 * append-only file. A worker is SIGKILLed while it trains, Redis is SIGKILLed and restarted mid-run
 * and mid-batch. Every run ends complete or cleanly failed, no surviving process dies, the killed
 * worker's training process goes with it, and an accepted batch is scored in full.
 */
describe('chaos: killed worker, restarted Redis, silent MLflow', () => {
  const prefix = testPrefix('chaos');
  const procs: ChildProcess[] = [];
  let redis: Awaited<ReturnType<typeof startOwnRedis>> | undefined;
  let mlflow: Awaited<ReturnType<typeof startSilentServer>> | undefined;
  afterAll(async () => {
    for (const p of procs) p.kill('SIGKILL');
    await redis?.stop();
    await mlflow?.stop();
  });

  it('every run ends complete or cleanly failed and nothing accepted is lost', { timeout: 280_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tm-chaos-'));
    redis = await startOwnRedis({ persistDir: dir });
    mlflow = await startSilentServer();
    const env = {
      ...process.env,
      REDIS_URL: redis.url,
      TM_QUEUE_PREFIX: prefix,
      TM_ARTIFACTS: join(dir, 'artifacts'),
      MLFLOW_TRACKING_URI: mlflow.uri,
      TM_CALL_TIMEOUT_MS: '1000',
      TM_LOCK_DURATION_MS: '5000',
      TM_STALLED_INTERVAL_MS: '5000',
      TM_BATCH_CHUNK_ROWS: '500',
      TM_API_KEYS_PREDICT: 'chaos-key',
      PORT: '0',
      LOG_LEVEL: 'info',
    };
    const start = (args: string[]) => {
      const p = spawn(process.execPath, [cli, ...args], { cwd: repoPath(''), env, stdio: ['ignore', 'pipe', 'pipe'] });
      const out = { text: '' };
      p.stdout!.on('data', (d: Buffer) => (out.text += d.toString()));
      p.stderr!.on('data', (d: Buffer) => (out.text += d.toString()));
      procs.push(p);
      return { p, out };
    };
    const a = start(['worker', '--family-concurrency', '1']);
    const b = start(['worker', '--family-concurrency', '1']);
    expect(await until(() => a.out.text.includes('workers started') && b.out.text.includes('workers started'), 120_000)).toBe(true);

    const train = start(['train', '--data', repoPath('data/phishing.csv'), '--families', 'decision_tree,logistic_regression', '--time-budget', '90', '--local-worker', 'never']);
    expect(await until(() => /run-\S+/.test(train.out.text), 60_000)).toBe(true);
    const runId = /(run-[\w-]+)/.exec(train.out.text)![1];

    // SIGKILL whichever worker is training first; its training process must go with it.
    const training = () => [a, b].find((w) => childProcessesOf(w.p.pid!).length > 0);
    expect(await until(() => training() !== undefined, 90_000)).toBe(true);
    const victim = training()!;
    const survivor = victim === a ? b : a;
    const orphans = childProcessesOf(victim.p.pid!).map((c) => c.pid);
    const described = childProcessesOf(victim.p.pid!).map((c) => c.cmd.slice(0, 300));
    victim.p.kill('SIGKILL');
    // About a second once the child's watch runs; a child still booting on a loaded machine takes longer.
    await until(() => orphans.every((pid) => !processAlive(pid)), 30_000);
    expect({ alive: orphans.filter(processAlive), described }).toEqual({ alive: [], described });

    // Redis dies mid-run and comes back with its append-only file.
    await redis.stop('SIGKILL');
    await sleep(2_000);
    await redis.restart();

    const conn = new Redis(redis.url, { maxRetriesPerRequest: null }).on('error', () => undefined);
    const register = new Queue('register', { connection: conn, prefix });
    let state = '';
    expect(await until(async () => ['completed', 'failed'].includes((state = (await (await register.getJob(`${runId}-register`))?.getState()) ?? '')), 200_000)).toBe(true);
    const job = await register.getJob(`${runId}-register`);
    // Complete, or failed with a reason that names something (never a stalled job with no cause).
    if (state === 'failed') expect(job?.failedReason).toMatch(/\S/);
    expect(state).toBe('completed');
    await register.close();
    expect(processAlive(survivor.p.pid!)).toBe(true);

    // A batch accepted just before Redis is killed and restarted is scored in full by the survivor.
    const api = start(['serve']);
    expect(await until(() => /"url":"http:\/\/[^"]+"/.test(api.out.text), 90_000)).toBe(true);
    const url = /"url":"(http:\/\/[^"]+)"/.exec(api.out.text)![1];
    const csv = (await readFile(repoPath('data/phishing.csv'), 'utf8')).trim().split('\n').slice(0, 2001).join('\n') + '\n';
    const headers = { authorization: 'Bearer chaos-key' };
    const res = await fetch(`${url}/v1/batches`, { method: 'POST', headers: { ...headers, 'content-type': 'text/csv' }, body: csv, signal: AbortSignal.timeout(60_000) });
    expect([202, 503]).toContain(res.status);
    await redis.stop('SIGKILL');
    await sleep(1_000);
    await redis.restart();
    if (res.status === 202) {
      const { batchId } = (await res.json()) as { batchId: string };
      let status: { state?: string; counts?: { scored: number; invalid: number } } = {};
      await until(async () => {
        const r = await fetch(`${url}/v1/batches/${batchId}`, { headers }).catch(() => undefined);
        if (r?.ok) status = (await r.json()) as typeof status;
        return status.state === 'completed' || status.state === 'failed';
      }, 120_000);
      expect(status).toMatchObject({ state: 'completed', counts: { scored: 2000, invalid: 0 } });
    }
    for (const p of [survivor.p, api.p]) expect(processAlive(p.pid!)).toBe(true);
    conn.disconnect();
  });
});
