import { FlowProducer, Queue } from 'bullmq';
import type { RedisClient } from './redis-connection.js';
import { chunkTotals } from '../core/batch/chunk-totals.js';
import { ChunkResult, PREDICT_QUEUE, type ChunkPayload, type RowError } from '../schema/batches.js';
import { RequestId } from '../schema/jobs.js';
import { predictJobOptions } from './queues.js';
import { quietRedis } from './redis-errors.js';

/** Where a batch's jobs stand, read from the queue. */
export interface BatchJobState {
  state: 'queued' | 'running' | 'completed' | 'failed';
  chunks: { total: number; done: number };
  /** Share of the batch's chunks done, counting the running chunks' own progress (explained chunks report theirs). */
  progress: number;
  scored: number;
  invalid: number;
  /** The first invalid rows of the chunks done so far. */
  errors: RowError[];
  /** Unseen categories scored so far, per column. */
  unknown: Record<string, number>;
  failedReason?: string;
}

/** Active jobs of the predict queue looked at for chunk progress: at least the workers' total concurrency. */
const ACTIVE_SCAN = 100;

/** The producer the API uses for async batches: one flow per batch, one child job per stored chunk. */
export class BatchProducer {
  private readonly flows: FlowProducer;
  private readonly queue: Queue;

  constructor(connection: RedisClient, prefix: string) {
    this.flows = quietRedis(new FlowProducer({ connection, prefix }));
    this.queue = quietRedis(new Queue(PREDICT_QUEUE, { connection, prefix }));
  }

  /** The predict queue (for Bull Board and metrics). */
  get predictQueue(): Queue {
    return this.queue;
  }

  /** Queues a stored batch; `requestId` (the HTTP request that sent it) is carried by its jobs. */
  async enqueue(batchId: string, chunks: Omit<ChunkPayload, 'batchId' | 'requestId'>[], requestId?: string): Promise<void> {
    const tag = requestId ? { requestId: RequestId.parse(requestId) } : {};
    await this.flows.add({
      name: 'batch',
      queueName: PREDICT_QUEUE,
      data: { batchId, ...tag },
      opts: predictJobOptions(batchId),
      children: chunks.map((c) => ({ name: 'chunk', queueName: PREDICT_QUEUE, data: { batchId, ...c, ...tag }, opts: predictJobOptions(batchId, c.chunk) })),
    });
  }

  /** The batch's state from its jobs; undefined once they are gone (retention) or never existed. */
  async status(batchId: string, maxErrors = 20): Promise<BatchJobState | undefined> {
    const job = await this.queue.getJob(predictJobOptions(batchId).jobId!);
    if (!job) return undefined;
    // Active jobs first: a chunk that completes meanwhile is then in the values, and counted once.
    const active = await this.queue.getActive(0, ACTIVE_SCAN - 1);
    const [state, deps, values] = await Promise.all([job.getState(), job.getDependenciesCount(), job.getChildrenValues()]);
    const done = chunkTotals(Object.values(values).map((v) => ChunkResult.parse(v)), maxErrors);
    const total = (deps.processed ?? 0) + (deps.unprocessed ?? 0) + (deps.failed ?? 0);
    const doneIds = new Set(Object.keys(values).map((k) => k.slice(k.lastIndexOf(':') + 1)));
    let running = 0;
    for (const a of active) {
      if (a.name !== 'chunk' || (a.data as { batchId?: string })?.batchId !== batchId || doneIds.has(a.id ?? '')) continue;
      if (typeof a.progress === 'number') running += Math.min(0.99, Math.max(0, a.progress / 100));
    }
    return {
      state: state === 'completed' ? 'completed' : state === 'failed' ? 'failed' : done.chunks || state === 'active' ? 'running' : 'queued',
      chunks: { total, done: done.chunks },
      progress: total ? Math.min(1, (done.chunks + running) / total) : 0,
      scored: done.scored,
      invalid: done.invalid,
      errors: done.errors,
      unknown: done.unknown,
      failedReason: job.failedReason || undefined,
    };
  }

  async close(): Promise<void> {
    await this.flows.close();
    await this.queue.close();
  }
}
