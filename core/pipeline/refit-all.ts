import type { Dataset } from '../data/frame.js';
import type { ModelJSON } from '../models/model.js';
import { sibling, startWorker } from '../runtime/worker-thread.js';
import type { Family } from '../tuning/families.js';

/**
 * Fits `family` with `params` on every row of `data` (the final refit of `--refit-all`) on a
 * worker thread: a fit on a million rows takes minutes, and the register job's thread must keep
 * renewing its queue lock meanwhile.
 */
export async function refitOnAllRows(family: Pick<Family, 'kind' | 'scale'>, params: Record<string, unknown>, data: Dataset): Promise<ModelJSON> {
  const worker = startWorker(sibling(import.meta, 'refit-worker'), { workerData: { family: { kind: family.kind, scale: family.scale }, params, data } });
  try {
    const reply = await new Promise<{ ok: true; model: ModelJSON } | { ok: false; error: string }>((resolve, reject) => {
      worker.once('message', resolve).once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the refit thread exited (${code}) before answering`)));
    });
    if (!reply.ok) throw new Error(`refit of ${family.kind} on all rows failed: ${reply.error}`);
    return reply.model;
  } finally {
    await worker.terminate();
  }
}
