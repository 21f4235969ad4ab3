/**
 * Child process of train-family jobs, one at a time (see child-runner.ts): the CPU-bound grid
 * search runs here, so the worker's event loop keeps renewing job locks. Adapters come from the
 * same environment configuration as the parent worker. Exits when its parent goes (the watch
 * childRunner imports first, see orphan-watch.ts).
 */
import pino from 'pino';
import { trainFamily } from '../../core/pipeline/stages.js';
import { loadConfig } from '../../schema/index.js';
import { runStage } from '../processors.js';
import { stageDepsFrom } from '../wiring.js';
import type { FromChild, ToChild } from './child-runner.js';

const config = loadConfig();
const deps = stageDepsFrom(config, pino({ name: 'threatmatrix-family', level: config.LOG_LEVEL }));
const send = (m: FromChild) => new Promise<void>((resolve) => process.send!(m, undefined, undefined, () => resolve()));

process.on('disconnect', () => process.exit(1));
// The worker decides when this process ends (it drains, or
// kills this process when the run is cancelled or its shutdown deadline passes). SIGTERM still ends it.
process.on('SIGINT', () => undefined);
process.on('message', async ({ data }: ToChild) => {
  const job = { data, updateProgress: (progress: number | object) => send({ type: 'progress', progress }) };
  try {
    const value = await runStage('train-family', job, deps, ({ run, family }, d) => trainFamily(run, family, d));
    await send({ type: 'done', value });
  } catch (err) {
    await send({ type: 'failed', name: (err as Error).name, message: (err as Error).message });
  }
  // Frees the job's data now rather than at the next job's first allocations (see child-runner.ts).
  (globalThis as { gc?: () => void }).gc?.();
});
