import { Worker } from 'bullmq';
import type { RedisClient } from './redis-connection.js';
import type { Logger } from 'pino';
import type { ArtifactStore } from '../core/ports/artifact-store.js';
import { jobLogger } from './job-log.js';
import { MONITOR_QUEUE, PREDICT_QUEUE, STAGES, type Config, type StageName } from '../schema/index.js';
import { RunProducer } from './flow.js';
import { alertSinkFrom, monitorSettingsFrom, startMonitoring, type RetrainHook } from './monitor.js';
import { startPredictWorker } from './predict-worker.js';
import { describeRedis, redisConnection } from './redis-connection.js';
import { quietRedis } from './redis-errors.js';
import { RETRAIN_QUEUE, RetrainScheduler, retrainProcessor, retrainTemplate } from './retrain.js';
import { feedbackRetrainFrom, NotEnoughFeedbackError } from './feedback-retrain.js';
import { startStageWorkers } from './stage-workers.js';
import { claimStoreMarker } from './store-marker.js';
import { stageDepsFrom } from './wiring.js';

/** Queues a worker process can serve: the pipeline stages, the predict queue and the monitor. */
export const WORKER_QUEUES: string[] = [...STAGES, PREDICT_QUEUE, MONITOR_QUEUE];

export interface RunWorkersOptions {
  /** Queues to serve (see WORKER_QUEUES). Default all. */
  queues?: string[];
  /** Jobs per stage at once. Default 1. */
  concurrency?: number;
  /** train-family jobs at once. Default the CPU count. */
  familyConcurrency?: number;
  /** What an alerting monitor window starts when TM_MONITOR_RETRAIN is on. Default a run on the configured source plus the feedback rows. */
  retrain?: RetrainHook;
}

export interface RunningWorkers {
  /** Stops taking jobs, waits for active ones up to `deadlineMs`, then closes hard. */
  close(deadlineMs?: number): Promise<void>;
}

/**
 * Everything a worker process runs: stage workers (training in sandboxed processes), the predict
 * queue's worker, and the retraining schedule. Adapters come from the configuration.
 */
export async function runWorkers(config: Config, log: Logger, o: RunWorkersOptions = {}): Promise<RunningWorkers> {
  const queues = o.queues ?? WORKER_QUEUES;
  const stages = queues.filter((s): s is StageName => s !== PREDICT_QUEUE && s !== MONITOR_QUEUE);
  const connection = redisConnection(config, 'worker');
  const deps = stageDepsFrom(config, log);
  // Before taking any job: a worker on another artifact store than its prefix's refuses to start.
  await claimStoreMarker(connection, config.TM_QUEUE_PREFIX, deps.store).catch((err: unknown) => {
    connection.disconnect();
    throw err;
  });
  const timers = { lockDuration: config.TM_LOCK_DURATION_MS, stalledInterval: config.TM_STALLED_INTERVAL_MS };
  const stageWorkers = startStageWorkers({ connection, prefix: config.TM_QUEUE_PREFIX, deps, stages, concurrency: o.concurrency, familyConcurrency: o.familyConcurrency, sandbox: true, ...timers });
  const predict = queues.includes(PREDICT_QUEUE) ? startPredictWorker({ connection, prefix: config.TM_QUEUE_PREFIX, store: deps.store, predictionSampleRate: config.TM_PREDICTION_SAMPLE_RATE, ...timers }) : undefined;
  await stageWorkers.ready;
  const retrain = await startRetrainScheduling(config, connection, log);
  let monitorRetrain: { hook: RetrainHook; close(): Promise<void> } | undefined;
  const monitor = queues.includes(MONITOR_QUEUE)
    ? await startMonitoring({
        connection,
        prefix: config.TM_QUEUE_PREFIX,
        store: deps.store,
        registry: deps.registry,
        log,
        settings: monitorSettingsFrom(config),
        every: config.TM_MONITOR_EVERY,
        sink: alertSinkFrom(config),
        // Per-window metrics go to MLflow only: without it, the stored windows are the record.
        tracker: config.MLFLOW_TRACKING_URI ? deps.tracker : undefined,
        retrain: config.TM_MONITOR_RETRAIN ? (o.retrain ?? (monitorRetrain = feedbackRetrainHook(config, deps.store, connection, log)).hook) : undefined,
        ...timers,
      })
    : undefined;
  for (const w of [...stageWorkers.workers, ...(predict ? [predict] : []), ...(monitor ? [monitor.worker] : [])]) {
    w.on('active', (job) => jobLogger(log, w.name, job).info('job started'));
    w.on('completed', (job) => jobLogger(log, w.name, job).info('job completed'));
    w.on('failed', (job, err) => jobLogger(log, w.name, job).warn({ attempts: job?.attemptsMade, err: err.message }, 'job failed'));
  }
  log.info({ queues, redis: describeRedis(config), prefix: config.TM_QUEUE_PREFIX }, 'workers started');
  return {
    async close(deadlineMs = 30_000) {
      const closed = Promise.all([stageWorkers.close(deadlineMs), predict?.close(), monitor?.close()]).then(() => Promise.all([retrain.close(), monitorRetrain?.close()]));
      // With Redis gone BullMQ's close waits for it forever: past the deadline (and a few seconds
      // for the hard close, which kills training processes) the process stops all the same.
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), deadlineMs + 3_000)));
      if ((await Promise.race([closed, late])) === 'late') log.warn({ deadlineMs }, 'workers did not close by the shutdown deadline (Redis unreachable?): stopping anyway');
      clearTimeout(timer);
      connection.disconnect();
    },
  };
}

/**
 * The monitor's action (TM_MONITOR_RETRAIN): a retraining run on the configured source plus the
 * labelled feedback rows. Too little feedback starts nothing and says so in the log (no retry).
 */
function feedbackRetrainHook(config: Config, store: ArtifactStore, connection: RedisClient, log: Logger): { hook: RetrainHook; close(): Promise<void> } {
  const producer = new RunProducer(connection, config.TM_QUEUE_PREFIX);
  const start = feedbackRetrainFrom(config, { store, producer, log });
  return {
    hook: async (ctx) => {
      try {
        return await start(ctx);
      } catch (err) {
        if (!(err instanceof NotEnoughFeedbackError)) throw err;
        log.warn({ model: ctx.model, window: ctx.windowId }, err.message);
        return undefined;
      }
    },
    close: () => producer.close(),
  };
}

/** Serves the retraining schedule's kick-off jobs; TM_RETRAIN_CRON creates the schedule only where none exists. */
async function startRetrainScheduling(config: Config, connection: RedisClient, log: Logger): Promise<{ close(): Promise<void> }> {
  const scheduler = new RetrainScheduler(connection, config.TM_QUEUE_PREFIX);
  quietRedis(scheduler.queue);
  // The configured run: its source keeps the credentials a stored (redacted) schedule lacks.
  const configured = await retrainTemplate(config);
  const seed = config.TM_RETRAIN_CRON ? { cron: config.TM_RETRAIN_CRON, tz: config.TM_RETRAIN_TZ, template: configured } : undefined;
  const { state, schedule } = await scheduler.seed(seed);
  log.info({ retrain: state, cron: schedule?.cron ?? null, tz: schedule?.tz, setBy: schedule?.setBy }, 'retraining schedule');
  if (state === 'kept' && seed && (seed.cron !== schedule!.cron || seed.tz !== schedule!.tz)) {
    log.warn({ configured: seed.cron, kept: schedule!.cron }, 'TM_RETRAIN_CRON differs from the fleet\'s schedule, which is kept: change it with `threatmatrix schedule set`');
  }
  const producer = new RunProducer(connection, config.TM_QUEUE_PREFIX);
  const worker = quietRedis(new Worker(RETRAIN_QUEUE, retrainProcessor(producer, { source: configured.source }), { connection, prefix: config.TM_QUEUE_PREFIX }));
  return {
    async close() {
      await worker.close();
      await producer.close();
      await scheduler.close();
    },
  };
}
