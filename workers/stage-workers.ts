import { availableParallelism } from 'node:os';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { RedisClient } from './redis-connection.js';
import type { StageDeps } from '../core/pipeline/stage-deps.js';
import { endTrackedRun } from '../core/pipeline/tracking.js';
import { STAGES, type StageName } from '../schema/jobs.js';
import { processorFor } from './processors.js';
import { QUEUE_OF } from './queues.js';
import { isJobOfRun } from './run-jobs.js';
import { releaseRunSecrets } from './run-secrets.js';
import { quietRedis } from './redis-errors.js';
import { cancelChannel, isCancelled, runIdOf } from './run-control.js';
import { childRunner } from './sandbox/child-runner.js';

export interface StageWorkerOptions {
  connection: RedisClient;
  prefix: string;
  deps: StageDeps;
  /** Stages this process serves. Default all. */
  stages?: StageName[];
  /** Jobs per stage at once. Default 1. */
  concurrency?: number;
  /** train-family jobs at once. Default: the CPU count when sandboxed, else 1. */
  familyConcurrency?: number;
  /**
   * Run train-family jobs in child processes (one job at a time each, reused), killed when the run
   * is cancelled (adapters from the environment configuration). Default false: in-process, with `deps`.
   */
  sandbox?: boolean;
  /** Lock and stall timers (tests compress them). Defaults 30 s / 30 s. */
  lockDuration?: number;
  stalledInterval?: number;
}

export interface StageWorkers {
  workers: Worker[];
  /** Resolves once this process listens for run cancellations. */
  ready: Promise<void>;
  /** Stops taking jobs and waits for active ones up to `deadlineMs`, then closes hard (killing training processes). */
  close(deadlineMs?: number): Promise<void>;
}

/** The child process entry of train-family jobs: built JS next to this module, or the tsx bootstrap from source. */
function familyChildEntry(): URL {
  return new URL(import.meta.url.endsWith('.ts') ? './sandbox/family-child.mjs' : './sandbox/family-child.js', import.meta.url);
}

type Processor = (job: Job, token?: string, signal?: AbortSignal) => Promise<unknown>;

export function startStageWorkers(o: StageWorkerOptions): StageWorkers {
  const queues = new Map<string, Queue>();
  const queue = (name: string) => {
    let q = queues.get(name);
    if (!q) queues.set(name, (q = quietRedis(new Queue(name, { connection: o.connection, prefix: o.prefix }))));
    return q;
  };
  const cancelledWhy = async (job: Job) => {
    const runId = runIdOf(job);
    return runId && (await isCancelled(o.connection, o.prefix, runId)) ? `run ${runId} was cancelled` : undefined;
  };
  const children = childRunner(familyChildEntry(), cancelledWhy);
  // A job of a cancelled run fails before it starts; one cancelled while running stops at once
  // (its training process is killed; an in-process stage's result is dropped).
  const guarded =
    (run: Processor): Processor =>
    async (job, token, signal) => {
      const why = await cancelledWhy(job);
      if (why) throw new UnrecoverableError(why);
      if (!signal) return run(job, token);
      const aborted = new Promise<never>((_, reject) => signal.addEventListener('abort', () => void cancelledWhy(job).then((w) => reject(new UnrecoverableError(w ?? 'cancelled'))), { once: true }));
      return Promise.race([run(job, token, signal), aborted]);
    };
  const endIfFinal = async (job: Job | undefined, err: Error) => {
    if (!job || (err.name !== 'UnrecoverableError' && job.attemptsMade < (job.opts.attempts ?? 1))) return;
    const runId = runIdOf(job);
    if (runId) await endTrackedRun(runId, o.deps, (await cancelledWhy(job)) ? 'KILLED' : 'FAILED');
  };
  const stages = o.stages ?? STAGES;
  const active = new Map<string, Worker>();
  const workers = stages.map((stage) => {
    const run: Processor = o.sandbox && stage === 'train-family' ? children.process : processorFor(stage, { deps: o.deps, queue, releaseSecrets: (r) => releaseRunSecrets(o.connection, o.prefix, r) });
    const worker = quietRedis(new Worker(QUEUE_OF[stage], guarded(run), {
      connection: o.connection,
      prefix: o.prefix,
      concurrency: stage === 'train-family' ? (o.familyConcurrency ?? (o.sandbox ? availableParallelism() : 1)) : (o.concurrency ?? 1),
      lockDuration: o.lockDuration ?? 30_000,
      stalledInterval: o.stalledInterval ?? 30_000,
    }));
    worker.on('active', (job) => active.set(job.id!, worker));
    for (const done of ['completed', 'failed'] as const) worker.on(done, (job?: Job) => job?.id && active.delete(job.id));
    // A chain stage that failed for good ends the run's tracked run (register ends its own).
    if (stage !== 'train-family') worker.on('failed', (job, err) => void endIfFinal(job, err));
    return worker;
  });
  const subscriber = quietRedis(o.connection.duplicate());
  subscriber.on('message', (_channel: string, runId: string) => {
    for (const [jobId, worker] of active) if (isJobOfRun(jobId, runId)) worker.cancelJob(jobId, 'run cancelled');
  });
  const ready = subscriber.subscribe(cancelChannel(o.prefix)).then(() => undefined);
  return {
    workers,
    ready,
    async close(deadlineMs = 30_000) {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), deadlineMs)));
      const graceful = Promise.all(workers.map((w) => w.close())).then(() => 'done' as const);
      if ((await Promise.race([graceful, deadline])) === 'late') {
        children.killAll();
        await Promise.all(workers.map((w) => w.close(true)));
      }
      clearTimeout(timer);
      // Idle training processes go too (their IPC channels would keep this process alive).
      children.killAll();
      subscriber.disconnect();
      await Promise.all([...queues.values()].map((q) => q.close()));
    },
  };
}
