import { Redis, type RedisOptions } from 'ioredis';
import type { JobsOptions } from 'bullmq';
import type { RunSpec, StageName } from '../schema/jobs.js';
import { onRedisError } from './redis-errors.js';

/** One queue per stage. */
export const QUEUE_OF: Record<StageName, string> = {
  ingest: 'ingest',
  validate: 'validate',
  transform: 'transform',
  'train-family': 'train-family',
  train: 'train',
  register: 'register',
};

/**
 * A Redis connection for BullMQ. Workers block on Redis and must retry forever
 * (`maxRetriesPerRequest: null`); producers (CLI, API) fail fast when Redis is down.
 */
export function redisConnection(url: string, role: 'worker' | 'producer'): Redis {
  const opts: RedisOptions =
    role === 'worker' ? { maxRetriesPerRequest: null } : { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 5_000 };
  return new Redis(url, { ...opts, lazyConnect: role === 'producer' }).on('error', onRedisError);
}

const DAY = 24 * 3600;

/**
 * Every job option in one place. Ids derive from the run (never ':' or all digits), so an
 * enqueue retried after a crash adds nothing twice. Chain stages fail their parent; family jobs
 * only report their failure (the others still compete).
 */
export function jobOptionsFor(stage: StageName, run: Pick<RunSpec, 'runId'>, family?: string): JobsOptions {
  const transient = stage === 'ingest' || stage === 'register' || stage === 'train-family';
  return {
    jobId: family ? `${run.runId}-${stage}-${family}` : `${run.runId}-${stage}`,
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
    jobId: chunk === undefined ? `${batchId}-batch` : `${batchId}-chunk-${chunk}`,
    attempts: 3,
    backoff: { type: 'exponential', delay: 1_000 },
    removeOnComplete: { age: 7 * DAY, count: 10_000 },
    removeOnFail: { age: 30 * DAY, count: 10_000 },
    ...(chunk === undefined ? {} : { failParentOnFailure: true }),
  };
}
