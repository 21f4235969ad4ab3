/**
 * Sandboxed BullMQ processor for train-family jobs: the CPU-bound grid search runs in its own
 * process, so the worker's event loop keeps renewing job locks. Adapters come from the same
 * environment configuration as the parent worker.
 */
import type { SandboxedJob } from 'bullmq';
import pino from 'pino';
import { trainFamily } from '../../core/pipeline/stages.js';
import { loadConfig } from '../../schema/index.js';
import { runStage } from '../processors.js';
import { stageDepsFrom } from '../wiring.js';

const config = loadConfig();
const deps = stageDepsFrom(config, pino({ name: 'threatmatrix-sandbox', level: config.LOG_LEVEL }));

export default function process(job: SandboxedJob) {
  return runStage('train-family', job, deps, ({ run, family }, d) => trainFamily(run, family, d));
}
