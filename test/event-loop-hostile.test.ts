import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_COLUMNS, MAX_HEADER_BYTES } from '../core/batch/csv-chunker.js';
import { phishingSchema } from './helpers/datasets.js';
import { PREDICT_KEY, startHostileApp } from './helpers/hostile-app.js';
import { watchLoopBlocking } from './helpers/loop-blocking.js';

/**
 * Issue 12, defect 2: a one-line 4 MB CSV header blocked every request for 7 s. The bound the
 * issue sets: hostile uploads at the documented limits never hold the event loop over 100 ms.
 * The server runs in this process, so the watch sees all of its work (and the client's).
 */
describe('hostile CSV uploads and the event loop', () => {
  let app: Awaited<ReturnType<typeof startHostileApp>>;
  beforeAll(async () => {
    app = await startHostileApp({ name: 'loop' });
  });
  afterAll(async () => {
    await app.close();
  });

  const features = phishingSchema().features.map((f) => f.name);
  /** A header at the limits: MAX_COLUMNS near-miss feature names (every one a rename candidate), padded to MAX_HEADER_BYTES. */
  function headerAtLimits(): string {
    const cells = Array.from({ length: MAX_COLUMNS - 1 }, (_, i) => `${features[i % features.length].slice(1)}${i}`);
    const head = cells.join(',');
    return `${head},${'p'.repeat(MAX_HEADER_BYTES - head.length - 2)}`;
  }

  async function blocking(work: () => Promise<void>) {
    const watch = watchLoopBlocking();
    await work();
    return watch.stop();
  }

  it('keeps the loop under 100 ms and /healthz answering while hostile headers arrive', async () => {
    const atLimits = `${headerAtLimits()}\n${'1,'.repeat(MAX_COLUMNS - 1)}1\n`;
    const oneLine = 'x'.repeat(4 * 1024 * 1024); // the case: 7 s of a blocked loop
    const wide = `${Array.from({ length: 200_000 }, (_, i) => `c${i}`).join(',')}\n1\n`;
    const quoted = `"${'"",'.repeat(80_000)}"\n1\n`;
    // Encoded up front: the client shares this process, and its work is not the server's.
    const hostile = [atLimits, oneLine, wide, quoted].map((b) => Buffer.from(b));
    const upload = (body: Uint8Array) => fetch(`${app.base}/v1/batches`, { method: 'POST', headers: { authorization: `Bearer ${PREDICT_KEY}`, 'content-type': 'text/csv' }, body });
    const attempt = async () => {
      const statuses: number[] = [];
      let health = 0;
      const worst = await blocking(async () => {
        const polling = (async () => {
          for (let i = 0; i < 10; i++) {
            if ((await fetch(`${app.base}/healthz`)).ok) health++;
            await new Promise((r) => setTimeout(r, 10));
          }
        })();
        for (const body of hostile) statuses.push((await upload(body)).status);
        await polling;
      });
      expect(statuses).toEqual([422, 422, 422, 422]);
      expect(health).toBe(10);
      return worst;
    };
    // Bounded as watchLoopBlocking measures it: on a shared machine the wall-clock delay alone also
    // holds the time the OS ran other processes. Both figures are in the failure message.
    await attempt(); // warm-up: first calls compile code (once per process, not per request)
    const worst = await attempt();
    expect(worst.holdMs, `longest hold of the loop: ${worst.holdMs.toFixed(0)} ms (monitorEventLoopDelay max, load included: ${worst.wallMs.toFixed(0)} ms)`).toBeLessThan(100);
  });
});
