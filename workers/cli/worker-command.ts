import { parseArgs } from 'node:util';
import type { Logger } from 'pino';
import type { Config } from '../../schema/index.js';
import { runWorkers, WORKER_QUEUES } from '../run-workers.js';

/** Resolves on the first SIGTERM / SIGINT (listening from the call on, so none is missed). */
export function untilSignal(log: Logger): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'shutting down');
      resolve();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}

/** `threatmatrix worker`: serves stage queues and the predict queue until SIGTERM / SIGINT, then drains with a deadline. */
export async function workerCommand(argv: string[], config: Config, log: Logger): Promise<number> {
  const { values: a } = parseArgs({
    args: argv,
    options: {
      stages: { type: 'string' },
      concurrency: { type: 'string', default: '1' },
      'family-concurrency': { type: 'string' },
      'shutdown-seconds': { type: 'string', default: '30' },
    },
  });
  const stopped = untilSignal(log);
  const queues = a.stages?.split(',') ?? WORKER_QUEUES;
  const unknown = queues.filter((s) => !WORKER_QUEUES.includes(s));
  if (unknown.length) {
    log.error({ unknown, known: WORKER_QUEUES }, 'unknown stages');
    return 2;
  }
  const workers = await runWorkers(config, log, {
    queues,
    concurrency: Number(a.concurrency),
    familyConcurrency: a['family-concurrency'] ? Number(a['family-concurrency']) : undefined,
  });
  await stopped;
  await workers.close(Number(a['shutdown-seconds']) * 1000);
  log.info('workers stopped');
  return 0;
}
