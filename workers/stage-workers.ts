import { availableParallelism } from 'node:os';
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { StageDeps } from '../core/pipeline/stage-deps.js';
import { STAGES, type StageName } from '../schema/jobs.js';
import { processorFor } from './processors.js';
import { QUEUE_OF } from './queues.js';

export interface StageWorkerOptions {
  connection: Redis;
  prefix: string;
  deps: StageDeps;
  /** Stages this process serves. Default all. */
  stages?: StageName[];
  /** Jobs per stage at once. Default 1. */
  concurrency?: number;
  /** train-family jobs at once. Default: the CPU count when sandboxed, else 1. */
  familyConcurrency?: number;
  /**
   * Run train-family jobs in sandboxed processes (adapters from the environment configuration).
   * Default false: in-process, with `deps`.
   */
  sandbox?: boolean;
  /** Lock and stall timers (tests compress them). Defaults 30 s / 30 s. */
  lockDuration?: number;
  stalledInterval?: number;
}

export interface StageWorkers {
  workers: Worker[];
  /** Stops taking jobs and waits for active ones up to `deadlineMs`, then closes hard. */
  close(deadlineMs?: number): Promise<void>;
}

/** The sandboxed processor file: built JS next to this module, or the tsx bootstrap from source. */
function sandboxEntry(): URL {
  return import.meta.url.endsWith('.ts') ? new URL('./sandbox/train-family.mjs', import.meta.url) : new URL('./sandbox/train-family.js', import.meta.url);
}

export function startStageWorkers(o: StageWorkerOptions): StageWorkers {
  const queues = new Map<string, Queue>();
  const queue = (name: string) => {
    let q = queues.get(name);
    if (!q) queues.set(name, (q = new Queue(name, { connection: o.connection, prefix: o.prefix })));
    return q;
  };
  const workers = (o.stages ?? STAGES).map(
    (stage) =>
      new Worker(QUEUE_OF[stage], o.sandbox && stage === 'train-family' ? sandboxEntry() : processorFor(stage, { deps: o.deps, queue }), {
        connection: o.connection,
        prefix: o.prefix,
        concurrency: stage === 'train-family' ? (o.familyConcurrency ?? (o.sandbox ? availableParallelism() : 1)) : (o.concurrency ?? 1),
        lockDuration: o.lockDuration ?? 30_000,
        stalledInterval: o.stalledInterval ?? 30_000,
      }),
  );
  return {
    workers,
    async close(deadlineMs = 30_000) {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), deadlineMs)));
      const graceful = Promise.all(workers.map((w) => w.close())).then(() => 'done' as const);
      if ((await Promise.race([graceful, deadline])) === 'late') await Promise.all(workers.map((w) => w.close(true)));
      clearTimeout(timer);
      await Promise.all([...queues.values()].map((q) => q.close()));
    },
  };
}
