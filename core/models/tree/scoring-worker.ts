/** Scoring worker: holds forests registered by the main thread and scores the row ranges it is sent. */
import { parentPort, workerData } from 'node:worker_threads';
import type { ForestRegistration, ScoreJob } from './scoring-pool.js';
import { scoreRows, type ScoringContext } from './score-rows.js';

const { index, flags, module } = workerData as { index: number; flags: Int32Array; module: WebAssembly.Module };
const forests = new Map<number, ScoringContext>();

parentPort!.on('message', (m: ForestRegistration | ScoreJob | { type: 'drop'; id: number }) => {
  if (m.type === 'forest') {
    const instance = new WebAssembly.Instance(module, { env: { mem: m.memory } });
    forests.set(m.id, { memory: m.memory, layout: m.layout, cuts: m.cuts, width: m.width, scratch: m.scratch, instance });
  } else if (m.type === 'drop') {
    forests.delete(m.id);
  } else {
    let status = 2;
    try {
      const ctx = forests.get(m.id);
      if (ctx) {
        scoreRows(ctx, new Float32Array(m.x), m.cols, m.r0, m.r1, new Float64Array(m.out), 0, m.outDim, m.from, m.to);
        status = 1;
      }
    } finally {
      Atomics.store(flags, 2 * index + 1, status);
      Atomics.notify(flags, 2 * index + 1);
    }
  }
});
Atomics.store(flags, 2 * index, 1);
