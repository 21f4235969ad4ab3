import type { Worker } from 'node:worker_threads';
import type { Dataset } from '../../core/data/frame.js';
import { Pipeline } from '../../core/models/pipeline.js';
import type { Family } from '../../core/tuning/families.js';
import { familyDeadline } from '../../core/tuning/budget.js';
import type { FamilyResult } from '../../core/tuning/grid-search.js';
import type { SearchAllOptions } from './search-all.js';
import type { SearchReply } from './search-messages.js';
import { sibling, startWorker } from '../../core/runtime/worker-thread.js';

export interface SearchOutcome {
  results: FamilyResult[];
  failures: { family: string; error: string }[];
  /** Families that never started: their share of the time budget was gone. */
  skipped: { family: string; reason: string }[];
}

/**
 * Searches families on `threads` worker threads, each family whole on one thread, handed out in
 * the given order (put the slowest first). Results come back in family order; a family whose
 * search throws, or whose thread dies, is reported as a failure and the others go on.
 */
export async function searchInThreads(families: Family[], data: Dataset, threads: number, opts: SearchAllOptions): Promise<SearchOutcome> {
  const queue = families.map((family, index) => ({ family, index }));
  const results: (FamilyResult | undefined)[] = [];
  const failures: { family: string; error: string; index: number }[] = [];
  const skipped: { family: string; reason: string; index: number }[] = [];
  const workerData = { data, folds: opts.folds ?? 3, seed: opts.seed ?? 42, halving: opts.halving };

  const runOn = async (worker: Worker): Promise<void> => {
    for (let task = queue.shift(); task; task = queue.shift()) {
      const { family, index } = task;
      const deadline = opts.deadline === undefined ? undefined : familyDeadline(Date.now(), opts.deadline, [family, ...queue.map((t) => t.family)], threads, index === 0);
      if (opts.deadline !== undefined && deadline === undefined) {
        skipped.push({ family: family.kind, reason: 'no time left', index });
        continue;
      }
      const reply = await new Promise<Extract<SearchReply, { type: 'done' | 'failed' | 'skipped' }>>((resolve) => {
        const onMessage = (m: SearchReply) => {
          if (m.type === 'progress') return opts.onProgress?.(m.progress);
          worker.off('message', onMessage).off('error', onError);
          resolve(m);
        };
        const onError = (err: Error) => {
          worker.off('message', onMessage);
          resolve({ type: 'failed', family: family.kind, error: `worker thread died: ${err.message}` });
        };
        worker.on('message', onMessage).once('error', onError);
        worker.postMessage({ family, deadline });
      });
      if (reply.type === 'skipped') {
        skipped.push({ family: reply.family, reason: reply.reason, index });
        continue;
      }
      if (reply.type === 'failed') {
        failures.push({ family: reply.family, error: reply.error, index });
        if (reply.error.startsWith('worker thread died')) return;
        continue;
      }
      results[index] = { ...reply.result, pipeline: await Pipeline.fromJSON(reply.result.pipeline) };
    }
  };

  const workers = Array.from({ length: Math.min(threads, families.length) }, () => startWorker(sibling(import.meta, 'search-worker'), { workerData }));
  try {
    await Promise.all(workers.map(runOn));
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  for (const { family, index } of queue) failures.push({ family: family.kind, error: 'not searched: every worker thread died', index });
  return {
    results: results.filter((r): r is FamilyResult => r !== undefined),
    failures: failures.sort((a, b) => a.index - b.index).map(({ family, error }) => ({ family, error })),
    skipped: skipped.sort((a, b) => a.index - b.index).map(({ family, reason }) => ({ family, reason })),
  };
}
