/** Worker-thread side of the parallel grid search: searches the families it is sent on its own copy of the data. */
import { parentPort, workerData } from 'node:worker_threads';
import type { Dataset } from '../../core/data/frame.js';
import { NoTimeLeftError } from '../../core/tuning/budget.js';
import type { Family } from '../../core/tuning/families.js';
import { FoldCache } from '../../core/tuning/fold-cache.js';
import { searchFamily } from '../../core/tuning/grid-search.js';
import type { HalvingOptions } from '../../core/tuning/halving.js';
import type { SearchReply, SearchRequest } from './search-messages.js';

const { data, folds, seed, halving } = workerData as { data: Dataset; folds: number; seed: number; halving?: HalvingOptions };
const cache = new FoldCache(data, folds, seed);
const reply = (m: SearchReply) => parentPort!.postMessage(m);

parentPort!.on('message', async ({ family, deadline }: SearchRequest) => {
  try {
    const r = await searchFamily(family as Family, data, cache, { seed, deadline, halving, onProgress: (progress) => reply({ type: 'progress', progress }) });
    reply({ type: 'done', result: { ...r, pipeline: r.pipeline.toJSON() } });
  } catch (err) {
    if (err instanceof NoTimeLeftError) reply({ type: 'skipped', family: family.kind, reason: 'no time left' });
    else reply({ type: 'failed', family: family.kind, error: (err as Error).message });
  }
});
