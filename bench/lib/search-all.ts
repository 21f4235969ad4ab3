import { availableParallelism } from 'node:os';
import type { Dataset } from '../../core/data/frame.js';
import { NoTimeLeftError } from '../../core/tuning/budget.js';
import type { Family } from '../../core/tuning/families.js';
import { FoldCache } from '../../core/tuning/fold-cache.js';
import { searchInTurn, type SearchOptions } from '../../core/tuning/grid-search.js';
import { searchInThreads, type SearchOutcome } from './parallel-search.js';

/**
 * The benchmark's search of every family in one process (`npm run bench:models`). Training runs
 * do not use it: they search each family in its own train-family job (core/pipeline/stages.ts).
 */
export interface SearchAllOptions extends SearchOptions {
  /** Worker threads searching families side by side; 1 searches in this thread. Default: the CPU count. */
  threads?: number;
}

/**
 * Searches every family on the same folds, on `threads` worker threads when more than one.
 * A family that fails is reported and the rest go on; one with no time left is reported skipped.
 */
export async function searchAll(families: Family[], data: Dataset, opts: SearchAllOptions = {}): Promise<SearchOutcome> {
  const threads = Math.min(opts.threads ?? availableParallelism(), families.length);
  if (threads > 1) return searchInThreads(families, data, threads, opts);
  const cache = new FoldCache(data, opts.folds ?? 3, opts.seed ?? 42);
  const outcome: SearchOutcome = { results: [], failures: [], skipped: [] };
  for (const [i, family] of families.entries()) {
    try {
      outcome.results.push(await searchInTurn(family, families.slice(i + 1), i === 0, data, cache, 1, opts));
    } catch (err) {
      if (err instanceof NoTimeLeftError) outcome.skipped.push({ family: family.kind, reason: 'no time left' });
      else outcome.failures.push({ family: family.kind, error: (err as Error).message });
    }
  }
  return outcome;
}
