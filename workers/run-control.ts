import { Queue, type Job, type JobType } from 'bullmq';
import type { RedisClient } from './redis-connection.js';
import { putJson } from '../core/artifacts/json.js';
import { runKeys } from '../core/pipeline/run-keys.js';
import { endTrackedRun } from '../core/pipeline/tracking.js';
import type { ArtifactStore } from '../core/ports/artifact-store.js';
import type { Tracker } from '../core/ports/tracker.js';
import { STAGES, type StageName } from '../schema/jobs.js';
import { quietRedis } from './redis-errors.js';
import { QUEUE_OF } from './queues.js';
import { runJobs, stageJobId } from './run-jobs.js';

/**
 * Cancelling a run from any process. BullMQ's Worker.cancelJob only reaches jobs the calling
 * worker holds, so the signal goes through Redis: a key every stage processor checks before it
 * starts (a job taken after the cancel fails at once), and a pub/sub message on which each worker
 * process aborts the run's jobs it holds (killing their training processes). The canceller
 * removes the run's jobs that no worker holds, and waits for the held ones to stop.
 */
export const cancelKey = (prefix: string, runId: string) => `${prefix}:threatmatrix:cancelled:${runId}`;
export const cancelChannel = (prefix: string) => `${prefix}:threatmatrix:cancel`;

const KEEP_SECONDS = 30 * 24 * 3600;
const UNFINISHED: JobType[] = ['waiting', 'delayed', 'prioritized'];

/** Whether a run was cancelled (what stage processors check before they start). */
export async function isCancelled(redis: RedisClient, prefix: string, runId: string): Promise<boolean> {
  return (await redis.exists(cancelKey(prefix, runId))) === 1;
}

/** The run a stage job belongs to, from its payload (undefined for a payload without one). */
export function runIdOf(job: Pick<Job, 'data'>): string | undefined {
  const id = (job.data as { run?: { runId?: unknown } } | undefined)?.run?.runId;
  return typeof id === 'string' ? id : undefined;
}

export interface CancelOptions {
  /** How long to wait for workers to stop the run's active jobs. Default 15,000 ms. */
  settleMs?: number;
  /** Recorded with the cancellation (who or why). Default 'cancelled'. */
  reason?: string;
  /** The run's tracker: its tracked run is ended KILLED (jobs removed before they ran end nothing themselves). */
  tracker?: Tracker;
}

export type CancelOutcome =
  | { state: 'unknown' }
  /** The run already ended (its model registered, or it failed). */
  | { state: 'finished' }
  /** `removed` jobs no worker held; `stillActive` ones did not stop within `settleMs`. */
  | { state: 'cancelled'; removed: number; stillActive: number };

/** The run's jobs in the stage queues that are in one of `states` (looked up by id, no queue scan). */
async function jobsOf(queues: Record<StageName, Queue>, runId: string, states: JobType[]): Promise<Job[]> {
  const jobs = (await runJobs(queues, runId)).map((j) => j.job).filter((j) => runIdOf(j) === runId);
  const inState = await Promise.all(jobs.map(async (j) => states.includes((await j.getState()) as JobType)));
  return jobs.filter((_, i) => inState[i]);
}

/** Cancels a run (see above). Unknown and finished runs are left alone and said so. */
export async function cancelRun(redis: RedisClient, prefix: string, store: ArtifactStore, runId: string, o: CancelOptions = {}): Promise<CancelOutcome> {
  const queues = Object.fromEntries(STAGES.map((s) => [s, quietRedis(new Queue(QUEUE_OF[s], { connection: redis, prefix }))])) as Record<StageName, Queue>;
  try {
    const root = await queues.register.getJob(stageJobId(runId, 'register'));
    const cancelled = !root && (await store.exists(runKeys(runId).cancelled));
    if (!root && !cancelled && !(await store.exists(runKeys(runId).spec))) return { state: 'unknown' };
    // A run that already ended, registered, failed or cancelled with its jobs removed, has nothing to stop.
    const ended = root ? (await root.isCompleted()) || (await root.isFailed()) : cancelled;
    if (ended || (await store.exists(runKeys(runId).metrics))) return { state: 'finished' };
    const at = new Date().toISOString();
    await redis.set(cancelKey(prefix, runId), JSON.stringify({ at, reason: o.reason ?? 'cancelled' }), 'EX', KEEP_SECONDS);
    await putJson(store, runKeys(runId).cancelled, { at, reason: o.reason ?? 'cancelled' });
    await redis.publish(cancelChannel(prefix), runId);
    await endTrackedRun(runId, { store, tracker: o.tracker }, 'KILLED');
    let removed = 0;
    const deadline = Date.now() + (o.settleMs ?? 15_000);
    for (;;) {
      // Removing a flow child can release its parent into the wait list: sweep until none is left.
      // Children stay: a released parent's children have all finished, and a killed family job's
      // failed record is what says the run was cancelled while it trained.
      for (let jobs = await jobsOf(queues, runId, UNFINISHED); jobs.length; jobs = await jobsOf(queues, runId, UNFINISHED)) {
        const done = await Promise.all(jobs.map((j) => j.remove({ removeChildren: false }).then(() => 1, () => 0)));
        removed += done.reduce<number>((a, b) => a + b, 0);
        if (!done.some(Boolean)) break;
      }
      const active = await jobsOf(queues, runId, ['active']);
      if (!active.length || Date.now() > deadline) return { state: 'cancelled', removed, stillActive: active.length };
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await Promise.all(Object.values(queues).map((q) => q.close()));
  }
}
