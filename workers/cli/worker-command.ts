import { parseArgs } from 'node:util';
import type { Logger } from 'pino';
import { STAGES, type Config, type StageName } from '../../schema/index.js';
import { redisConnection } from '../queues.js';
import { startStageWorkers } from '../stage-workers.js';
import { stageDepsFrom } from '../wiring.js';

/** `threatmatrix worker`: serves stage queues until SIGTERM / SIGINT, then drains with a deadline. */
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
  const stages = (a.stages?.split(',') ?? STAGES) as StageName[];
  const unknown = stages.filter((s) => !STAGES.includes(s));
  if (unknown.length) {
    log.error({ unknown, known: STAGES }, 'unknown stages');
    return 2;
  }
  const connection = redisConnection(config.REDIS_URL, 'worker');
  const workers = startStageWorkers({
    connection,
    prefix: config.TM_QUEUE_PREFIX,
    deps: stageDepsFrom(config),
    stages,
    concurrency: Number(a.concurrency),
    familyConcurrency: a['family-concurrency'] ? Number(a['family-concurrency']) : undefined,
    sandbox: true,
    lockDuration: Number(process.env.TM_LOCK_DURATION_MS ?? 30_000),
    stalledInterval: Number(process.env.TM_STALLED_INTERVAL_MS ?? 30_000),
  });
  for (const w of workers.workers) {
    w.on('completed', (job) => log.info({ queue: w.name, jobId: job.id }, 'job completed'));
    w.on('failed', (job, err) => log.warn({ queue: w.name, jobId: job?.id, attempts: job?.attemptsMade, err: err.message }, 'job failed'));
  }
  log.info({ stages, redis: new URL(config.REDIS_URL).host, prefix: config.TM_QUEUE_PREFIX }, 'workers started');
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'shutting down');
      resolve();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  await workers.close(Number(a['shutdown-seconds']) * 1000);
  connection.disconnect();
  log.info('workers stopped');
  return 0;
}
