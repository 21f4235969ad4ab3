/** Worker-thread side of `refitOnAllRows`: fits one pipeline and posts its JSON (or the error's message). */
import { parentPort, workerData } from 'node:worker_threads';
import type { Dataset } from '../data/frame.js';
import type { Family } from '../tuning/families.js';
import { fitPipeline } from '../tuning/grid-search.js';

const { family, params, data } = workerData as { family: Pick<Family, 'kind' | 'scale'>; params: Record<string, unknown>; data: Dataset };
fitPipeline(family, params, data).then(
  (p) => parentPort!.postMessage({ ok: true, model: p.toJSON() }),
  (err: unknown) => parentPort!.postMessage({ ok: false, error: (err as Error).message }),
);
