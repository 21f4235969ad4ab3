import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { QUEUE_OF } from '../../workers/queues.js';

/** One stage job of a run, times in seconds from the run's first job's creation. */
export interface StageTiming {
  job: string;
  state: string;
  queuedAt: number;
  startedAt?: number;
  finishedAt?: number;
  /** finishedAt - startedAt (the job's own run, without its wait in the queue). */
  seconds?: number;
  /** Seconds the job finished after the run's deadline (negative: before it), when the run had one. */
  pastDeadline?: number;
}

/**
 * Every stage job under `prefix` (one run's queues) with its BullMQ timestamps (timestamp,
 * processedOn, finishedOn), in start order: where a run's time went, and what ran past its deadline.
 */
export async function stageTimings(connection: Redis, prefix: string): Promise<{ deadline?: number; jobs: StageTiming[] }> {
  const raw: { id: string; state: string; timestamp: number; processedOn?: number; finishedOn?: number; deadline?: number; runId?: string }[] = [];
  for (const name of new Set(Object.values(QUEUE_OF))) {
    const q = new Queue(name, { connection, prefix });
    try {
      for (const state of ['completed', 'failed', 'active', 'waiting', 'waiting-children', 'delayed'] as const) {
        for (const job of await q.getJobs([state])) {
          if (!job?.id) continue;
          const run = (job.data as { run?: { deadline?: number; runId?: string } }).run;
          raw.push({ id: job.id, state, timestamp: job.timestamp, processedOn: job.processedOn, finishedOn: job.finishedOn, deadline: run?.deadline, runId: run?.runId });
        }
      }
    } finally {
      await q.close();
    }
  }
  if (!raw.length) return { jobs: [] };
  const t0 = raw.reduce((m, j) => Math.min(m, j.timestamp), Infinity);
  const deadline = raw.find((j) => j.deadline !== undefined)?.deadline;
  const s = (ms?: number) => (ms === undefined ? undefined : (ms - t0) / 1000);
  const jobs = raw
    .map((j) => ({
      // Ids are `<runId>-<stage>[-<family>]`.
      job: j.runId && j.id.startsWith(`${j.runId}-`) ? j.id.slice(j.runId.length + 1) : j.id,
      state: j.state,
      queuedAt: s(j.timestamp)!,
      startedAt: s(j.processedOn),
      finishedAt: s(j.finishedOn),
      seconds: j.processedOn && j.finishedOn ? (j.finishedOn - j.processedOn) / 1000 : undefined,
      pastDeadline: deadline && j.finishedOn ? (j.finishedOn - deadline) / 1000 : undefined,
    }))
    .sort((a, b) => (a.startedAt ?? Infinity) - (b.startedAt ?? Infinity));
  return { deadline: deadline && (deadline - t0) / 1000, jobs };
}
