/** Worker-thread side of the parallel grid search: searches the families it is sent on its own copy of the data. */
import { parentPort, workerData } from 'node:worker_threads';
import type { Dataset } from '../data/frame.js';
import { stratifiedKFold } from '../data/split.js';
import type { Family } from './families.js';
import { FoldCache } from './fold-cache.js';
import { searchFamily } from './grid-search.js';
import type { SearchReply, SearchRequest } from './search-messages.js';

const { data, folds, seed } = workerData as { data: Dataset; folds: number; seed: number };
const cache = new FoldCache(data, stratifiedKFold(data.labels, folds, seed));
const reply = (m: SearchReply) => parentPort!.postMessage(m);

parentPort!.on('message', async ({ family }: SearchRequest) => {
  try {
    const r = await searchFamily(family as Family, data, cache, { onProgress: (progress) => reply({ type: 'progress', progress }) });
    reply({ type: 'done', result: { ...r, pipeline: r.pipeline.toJSON() } });
  } catch (err) {
    reply({ type: 'failed', family: family.kind, error: (err as Error).message });
  }
});
