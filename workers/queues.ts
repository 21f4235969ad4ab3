import type { JobsOptions } from 'bullmq';
import type { RunSpec, StageName } from '../schema/jobs.js';
import { batchJobId, stageJobId } from './run-jobs.js';

// Connections live in redis-connection.ts; re-exported for the call sites that import them from here.
export { redisConnection, type RedisClient } from './redis-connection.js';

/** One queue per stage. */
export const QUEUE_OF: Record<StageName, string> = {
  ingest: 'ingest',
  validate: 'validate',
  transform: 'transform',
  'train-family': 'train-family',
  train: 'train',
  register: 'register',
};

const DAY = 24 * 3600;

/**
 * Every job option in one place; ids from run-jobs.ts. Chain stages fail their parent; family jobs
 * only report their failure (the others still compete).
 */
export function jobOptionsFor(stage: StageName, run: Pick<RunSpec, 'runId'>, family?: string): JobsOptions {
  const transient = stage === 'ingest' || stage === 'register' || stage === 'train-family';
  return {
    jobId: stageJobId(run.runId, stage, family),
    attempts: transient ? 3 : 2,
    backoff: { type: 'exponential', delay: 2_000 },
    removeOnComplete: { age: 7 * DAY, count: 1_000 },
    removeOnFail: { age: 30 * DAY, count: 5_000 },
    ...(stage === 'train-family' ? { ignoreDependencyOnFailure: true } : stage === 'register' ? {} : { failParentOnFailure: true }),
  };
}

/**
 * Options of the predict queue's jobs: a batch's parent and its chunks. Chunks are idempotent
 * (they overwrite their own result) and fail their batch when they fail for good.
 */
export function predictJobOptions(batchId: string, chunk?: number): JobsOptions {
  return {
    jobId: batchJobId(batchId, chunk),
    attempts: 3,
    backoff: { type: 'exponential', delay: 1_000 },
    removeOnComplete: { age: 7 * DAY, count: 10_000 },
    removeOnFail: { age: 30 * DAY, count: 10_000 },
    ...(chunk === undefined ? {} : { failParentOnFailure: true }),
  };
}
