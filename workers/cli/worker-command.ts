import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { parse as parseYaml } from 'yaml';
import type { Logger } from 'pino';
import { parseDatasetSchema, STAGES, type Config, type StageName } from '../../schema/index.js';
import { RunProducer } from '../flow.js';
import { RETRAIN_QUEUE, retrainProcessor, syncRetrainSchedule } from '../retrain.js';
import { sourceFromArg } from './source-arg.js';
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
  // Listen first: a signal that arrives while starting up still gets a clean drain.
  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'shutting down');
      resolve();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
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
    deps: stageDepsFrom(config, log),
    stages,
    concurrency: Number(a.concurrency),
    familyConcurrency: a['family-concurrency'] ? Number(a['family-concurrency']) : undefined,
    sandbox: true,
    lockDuration: Number(process.env.TM_LOCK_DURATION_MS ?? 30_000),
    stalledInterval: Number(process.env.TM_STALLED_INTERVAL_MS ?? 30_000),
  });
  const retrain = await startRetrainScheduling(config, connection, log);
  for (const w of workers.workers) {
    w.on('completed', (job) => log.info({ queue: w.name, jobId: job.id }, 'job completed'));
    w.on('failed', (job, err) => log.warn({ queue: w.name, jobId: job?.id, attempts: job?.attemptsMade, err: err.message }, 'job failed'));
  }
  log.info({ stages, redis: new URL(config.REDIS_URL).host, prefix: config.TM_QUEUE_PREFIX }, 'workers started');
  await stopped;
  await workers.close(Number(a['shutdown-seconds']) * 1000);
  await retrain.close();
  connection.disconnect();
  log.info('workers stopped');
  return 0;
}

/** Syncs the retraining scheduler with the configuration and serves its kick-off jobs. */
async function startRetrainScheduling(config: Config, connection: Redis, log: Logger): Promise<{ close(): Promise<void> }> {
  const queue = new Queue(RETRAIN_QUEUE, { connection, prefix: config.TM_QUEUE_PREFIX });
  let schedule;
  if (config.TM_RETRAIN_CRON) {
    const text = await readFile(config.TM_RETRAIN_SCHEMA, 'utf8');
    const name = parseDatasetSchema(text, config.TM_RETRAIN_SCHEMA).name;
    const template = { modelName: name, source: sourceFromArg(config.TM_RETRAIN_DATA, name), schema: parseYaml(text) as Record<string, unknown> };
    schedule = { cron: config.TM_RETRAIN_CRON, tz: config.TM_RETRAIN_TZ, template };
  }
  const state = await syncRetrainSchedule(queue, schedule);
  log.info({ retrain: state, cron: config.TM_RETRAIN_CRON, tz: config.TM_RETRAIN_TZ }, 'retraining schedule');
  const producer = new RunProducer(connection, config.TM_QUEUE_PREFIX);
  const worker = new Worker(RETRAIN_QUEUE, retrainProcessor(producer), { connection, prefix: config.TM_QUEUE_PREFIX });
  return {
    async close() {
      await worker.close();
      await producer.close();
      await queue.close();
    },
  };
}
