import { QueueEvents } from 'bullmq';
import type { RedisClient } from '../redis-connection.js';
import { STAGES, type StageName } from '../../schema/jobs.js';
import { QUEUE_OF } from '../queues.js';
import { familyOfJob, isJobOfRun, stageJobId } from '../run-jobs.js';
import { BarsAndLogs, stderrBars } from './bars-and-logs.js';
import { quietRedis } from '../redis-errors.js';
import { progressBar } from './progress-bar.js';

interface Line {
  label: string;
  percent: number;
  state: 'waiting' | 'active' | 'done' | 'failed';
  note?: string;
}

/**
 * Live per-stage progress of one run from BullMQ queue events: bars redrawn in place on a TTY,
 * plain lines otherwise. Listens before calling `start` (which enqueues), so no event is missed.
 * Resolves with the register job's result, rejects when it fails.
 */
export async function followRun(
  runId: string,
  connection: () => RedisClient,
  prefix: string,
  start: () => Promise<unknown>,
  out: NodeJS.WriteStream = process.stderr,
): Promise<unknown> {
  const lines = new Map<string, Line>();
  const tty = out.isTTY === true;
  // On stderr, log lines (the CLI logger writes there too) go above the bars, never through them.
  const bars = out === process.stderr ? stderrBars() : new BarsAndLogs(out);
  const labelOf = (stage: StageName, jobId: string) => (stage === 'train-family' ? `train ${familyOfJob(jobId)}` : stage);
  const draw = (changed?: Line) => {
    if (!tty) {
      if (changed) out.write(`${changed.label}: ${changed.state}${changed.state === 'active' ? ` ${changed.percent}%` : ''}${changed.note ? ` (${changed.note})` : ''}\n`);
      return;
    }
    bars.setBars([...lines.values()].map((l) => `${l.label.padEnd(28)} ${progressBar(l.percent)} ${String(l.percent).padStart(3)}% ${l.state}${l.note ? ` ${l.note}` : ''}`));
  };
  const update = (stage: StageName, jobId: string, patch: Partial<Line>) => {
    if (!isJobOfRun(jobId, runId)) return;
    const key = `${stage}:${jobId}`;
    const line = { ...(lines.get(key) ?? { label: labelOf(stage, jobId), percent: 0, state: 'waiting' as const }), ...patch };
    const before = lines.get(key);
    lines.set(key, line);
    if (!before || before.state !== line.state || Math.floor(before.percent / 10) !== Math.floor(line.percent / 10) || tty) draw(line);
  };
  const all = STAGES.map((stage) => {
    const conn = connection();
    return { stage, conn, events: quietRedis(new QueueEvents(QUEUE_OF[stage], { connection: conn, prefix })) };
  });
  try {
    await Promise.all(all.map(({ events }) => events.waitUntilReady()));
    return await new Promise((resolve, reject) => {
      // A failed stage fails its parents with "child ... failed": the run's reason is the first cause.
      let cause: string | undefined;
      for (const { stage, events } of all) {
        events.on('active', ({ jobId }) => update(stage, jobId, { state: 'active' }));
        events.on('progress', ({ jobId, data }) => {
          // A stage with a deadline reports { percent, secondsLeft }.
          const p = typeof data === 'number' ? { percent: data } : (data as { percent?: number; secondsLeft?: number });
          if (typeof p.percent === 'number') update(stage, jobId, { percent: p.percent, state: 'active', note: p.secondsLeft === undefined ? undefined : `${timeText(p.secondsLeft)} left` });
        });
        events.on('completed', ({ jobId, returnvalue }) => {
          const skipped = stage === 'train-family' ? (returnvalue as { skipped?: string } | undefined)?.skipped : undefined;
          update(stage, jobId, { percent: 100, state: 'done', note: skipped ? `skipped: ${skipped}` : undefined });
          if (stage === 'register' && jobId === stageJobId(runId, 'register')) resolve(returnvalue);
        });
        events.on('failed', ({ jobId, failedReason }) => {
          update(stage, jobId, { state: 'failed', note: failedReason.slice(0, 200) });
          if (isJobOfRun(jobId, runId) && !/^child \S+ failed$/.test(failedReason)) cause ??= failedReason;
          if (stage === 'register' && jobId === stageJobId(runId, 'register')) reject(new Error(cause ?? failedReason));
        });
      }
      start().catch(reject);
    });
  } finally {
    bars.release();
    await Promise.all(all.map(({ events }) => events.close()));
    for (const { conn } of all) conn.disconnect();
  }
}

/** 75 -> "1m15s", 40 -> "40s". */
function timeText(seconds: number): string {
  return seconds >= 60 ? `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s` : `${seconds}s`;
}
