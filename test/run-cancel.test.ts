import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Queue } from 'bullmq';
import { parse as parseYaml } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../core/adapters/local-artifact-store.js';
import { runOutcome } from '../core/pipeline/run-outcome.js';
import { STAGES } from '../schema/jobs.js';
import { RunProducer } from '../workers/flow.js';
import { QUEUE_OF, redisConnection } from '../workers/queues.js';
import { repoPath } from './helpers/datasets.js';
import { childProcessesOf, groupAlive, processAlive } from './helpers/processes.js';
import { dropPrefix, REDIS_URL, testPrefix } from './helpers/redis.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const run = promisify(execFile);
const cli = repoPath('api/bin/threatmatrix.mjs');

describe('cancelling a training run', () => {
  const prefix = testPrefix('cancel');
  const conn = redisConnection(REDIS_URL, 'worker');
  const queues = STAGES.map((s) => new Queue(QUEUE_OF[s], { connection: conn, prefix }));
  const spawned: ChildProcess[] = [];
  let dir: string;

  const killGroup = (child: ChildProcess) => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  /** Jobs of the run still waiting or running, in any stage queue. */
  const liveJobs = async (runId: string) => {
    const jobs = (await Promise.all(queues.map((q) => q.getJobs(['active', 'waiting', 'delayed', 'prioritized', 'waiting-children'])))).flat();
    return jobs.filter((j) => j?.id?.startsWith(`${runId}-`));
  };
  const familyActive = async (runId: string, ms: number) => {
    const families = queues[STAGES.indexOf('train-family')];
    for (let t = Date.now(); Date.now() - t < ms; await sleep(100)) {
      const active = (await families.getJobs(['active'])).filter((j) => j.id?.startsWith(`${runId}-`));
      if (active.length) return active;
    }
    throw new Error(`no train-family job of ${runId} became active within ${ms} ms`);
  };

  afterAll(async () => {
    for (const c of spawned) killGroup(c);
    await Promise.all(queues.map((q) => q.close()));
    await dropPrefix(conn, prefix);
    conn.disconnect();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs cancel <id> from another process stops the running family process and leaves no active or waiting job', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-cancel-'));
    const env = { ...process.env, REDIS_URL, TM_QUEUE_PREFIX: prefix, TM_ARTIFACTS: join(dir, 'artifacts'), LOG_LEVEL: 'warn' };
    const worker = spawn(process.execPath, [cli, 'worker', '--family-concurrency', '1'], { cwd: repoPath(''), env, detached: true, stdio: 'ignore' });
    spawned.push(worker);
    const producer = new RunProducer(conn, prefix);
    const runId = 'cancel-me-run';
    await producer.enqueue({
      runId,
      modelName: 'phishing',
      source: { kind: 'csv', path: repoPath('data/phishing.csv') },
      schema: parseYaml(readFileSync(repoPath('schema/phishing.yaml'), 'utf8')) as Record<string, unknown>,
      families: ['mlp', 'gradient_boosting', 'random_forest'],
    });
    await producer.close();
    await familyActive(runId, 90_000);
    // The family's own process is running under the worker.
    await sleep(500);
    const training = childProcessesOf(worker.pid!).filter((p) => p.cmd.includes('family-child'));
    expect(training).toHaveLength(1);

    const { stdout } = await run(process.execPath, [cli, 'runs', 'cancel', runId], { cwd: repoPath(''), env, timeout: 60_000 });
    expect(stdout).toMatch(new RegExp(`cancelled run ${runId}: \\d+ queued job\\(s\\) removed, none left running`));
    expect(await liveJobs(runId)).toEqual([]);
    // The process that was training is gone (killed, not left to finish its grid search).
    const alive = (pid: number) => childProcessesOf(worker.pid!).some((p) => p.pid === pid);
    for (let i = 0; i < 50 && alive(training[0].pid); i++) await sleep(100);
    expect(alive(training[0].pid)).toBe(false);
    // The worker records the killed job as failed once its sandbox has exited: a moment after.
    const failedReasons = async () => (await queues[STAGES.indexOf('train-family')].getJobs(['failed'])).filter((j) => j.id?.startsWith(`${runId}-`)).map((j) => j.failedReason);
    await expect.poll(failedReasons, { timeout: 10_000, interval: 200 }).toEqual(expect.arrayContaining([`run ${runId} was cancelled`]));
    expect(await runOutcome(new LocalArtifactStore(join(dir, 'artifacts')), runId)).toMatchObject({ state: 'cancelled', reason: 'threatmatrix runs cancel' });
    const { stdout: runs } = await run(process.execPath, [cli, 'runs'], { cwd: repoPath(''), env });
    expect(runs).toMatch(new RegExp(`^${runId}  cancelled `, 'm'));
    // The worker lives on and serves the next run.
    expect(worker.exitCode).toBeNull();
    // The cancelled run has ended (its register job failed or was removed): cancelling again stops nothing.
    const again = await run(process.execPath, [cli, 'runs', 'cancel', runId], { cwd: repoPath(''), env }).catch((e: { code: number; stderr: string }) => e);
    expect(again).toMatchObject({ code: 1, stderr: `run ${runId} has already ended: nothing to cancel\n` });
    const unknown = await run(process.execPath, [cli, 'runs', 'cancel', 'no-such-run'], { cwd: repoPath(''), env }).catch((e: { code: number; stderr: string }) => e);
    expect(unknown).toMatchObject({ code: 2, stderr: expect.stringMatching(/no run no-such-run/) });
  }, 180_000);

  it('Ctrl-C on train --follow cancels the run it started, says so, and leaves no process behind', async () => {
    const env = { ...process.env, REDIS_URL, TM_QUEUE_PREFIX: `${prefix}-follow`, TM_ARTIFACTS: join(dir, 'follow'), LOG_LEVEL: 'warn' };
    // A process group of its own, as a terminal's foreground job: Ctrl-C signals the whole group.
    const train = spawn(process.execPath, [cli, 'train', '--follow', '--local-worker', 'always', '--families', 'mlp,gradient_boosting'], { cwd: repoPath(''), env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    spawned.push(train);
    let stderr = '';
    train.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => train.once('exit', (code) => resolve(code)));
    for (let i = 0; i < 900 && !/train (mlp|gradient_boosting): active/.test(stderr); i++) await sleep(100);
    expect(stderr).toMatch(/train (mlp|gradient_boosting): active/);
    await sleep(500);
    expect(childProcessesOf(train.pid!).some((p) => p.cmd.includes('family-child'))).toBe(true);
    process.kill(-train.pid!, 'SIGINT');
    expect(await exited).toBe(130);
    const runId = /Ctrl-C: cancelling run (\S+)\n/.exec(stderr)?.[1];
    expect(stderr).toContain(`cancelled run ${runId}: its jobs are stopped\n`);
    for (let i = 0; i < 50 && groupAlive(train.pid!); i++) await sleep(100);
    expect(groupAlive(train.pid!)).toBe(false);
    const followQueues = STAGES.map((s) => new Queue(QUEUE_OF[s], { connection: conn, prefix: `${prefix}-follow` }));
    const live = (await Promise.all(followQueues.map((q) => q.getJobs(['active', 'waiting', 'delayed', 'prioritized'])))).flat().filter((j) => j?.id?.startsWith(`${runId}-`));
    expect(live).toEqual([]);
    await Promise.all(followQueues.map((q) => q.close()));
    await dropPrefix(conn, `${prefix}-follow`);
  }, 180_000);

  it('a worker killed outright leaves no training process behind', async () => {
    dir ??= await mkdtemp(join(tmpdir(), 'tm-cancel-'));
    const env = { ...process.env, REDIS_URL, TM_QUEUE_PREFIX: `${prefix}-orphan`, TM_ARTIFACTS: join(dir, 'orphan'), LOG_LEVEL: 'warn' };
    const worker = spawn(process.execPath, [cli, 'worker', '--family-concurrency', '1'], { cwd: repoPath(''), env, detached: true, stdio: 'ignore' });
    spawned.push(worker);
    const orphanConn = redisConnection(REDIS_URL, 'worker');
    const producer = new RunProducer(orphanConn, `${prefix}-orphan`);
    await producer.enqueue({
      runId: 'orphan-run',
      modelName: 'phishing',
      source: { kind: 'csv', path: repoPath('data/phishing.csv') },
      schema: parseYaml(readFileSync(repoPath('schema/phishing.yaml'), 'utf8')) as Record<string, unknown>,
      families: ['mlp'],
    });
    await producer.close();
    let training: { pid: number }[] = [];
    for (let i = 0; i < 900 && !training.length; i++, await sleep(100)) training = childProcessesOf(worker.pid!).filter((p) => p.cmd.includes('family-child'));
    expect(training).toHaveLength(1);
    await sleep(1_000);
    // Only the worker, not its group: the training process must notice on its own.
    process.kill(worker.pid!, 'SIGKILL');
    for (let i = 0; i < 50 && processAlive(training[0].pid); i++) await sleep(100);
    expect(processAlive(training[0].pid)).toBe(false);
    await dropPrefix(orphanConn, `${prefix}-orphan`);
    orphanConn.disconnect();
  }, 180_000);
});
