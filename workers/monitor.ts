import { Queue, Worker, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { WebhookAlertSink } from '../core/adapters/webhook-alert-sink.js';
import type { AlertLimits } from '../core/monitoring/alert-rules.js';
import { runMonitor, type MonitorDeps, type MonitorSettings, type OnceMarks, type RetrainHook } from '../core/monitoring/monitor-run.js';
import type { AlertSink } from '../core/ports/alert-sink.js';
import type { ArtifactStore } from '../core/ports/artifact-store.js';
import type { ModelRegistry } from '../core/ports/model-registry.js';
import type { Tracker } from '../core/ports/tracker.js';
import { MONITOR_QUEUE, MonitorPayload, MonitorResult, type Config, type MonitorEvery } from '../schema/index.js';
import { rethrowForQueue } from './job-errors.js';
import { ModelChanges } from './model-changes.js';
import type { RedisClient } from './redis-connection.js';
import { quietRedis } from './redis-errors.js';

export type { RetrainHook } from '../core/monitoring/monitor-run.js';

const schedulerId = (model: string) => `monitor-${model}`;
const DAY_S = 86_400;

/** The monitor's settings and alert limits from the configuration. */
export function monitorSettingsFrom(config: Config): MonitorSettings {
  const limits: AlertLimits = {};
  const set = <K extends keyof AlertLimits>(k: K, v: AlertLimits[K] | undefined) => v !== undefined && (limits[k] = v);
  set('featureDriftShare', config.TM_ALERT_FEATURE_DRIFT_SHARE);
  set('predictionDrift', config.TM_ALERT_PREDICTION_DRIFT);
  set('estimatedF1Drop', config.TM_ALERT_ESTIMATED_F1_DROP);
  set('realisedF1Drop', config.TM_ALERT_REALISED_F1_DROP);
  set('minLabelled', config.TM_ALERT_MIN_LABELLED);
  set('missingRate', config.TM_ALERT_MISSING_RATE);
  set('unknownRate', config.TM_ALERT_UNKNOWN_RATE);
  return {
    windowMs: Math.round(config.TM_MONITOR_WINDOW_MINUTES * 60_000),
    windowRows: config.TM_MONITOR_WINDOW_ROWS,
    minRows: config.TM_MONITOR_MIN_ROWS,
    maxAgeMs: Math.round(config.TM_MONITOR_MAX_AGE_MINUTES * 60_000),
    limits,
    modelLimits: config.TM_ALERT_LIMITS,
  };
}

/** The webhook sink when TM_ALERT_WEBHOOK_URL is set (signed when TM_ALERT_WEBHOOK_SECRET is), else none: alerts go to the log only. */
export function alertSinkFrom(config: Config): AlertSink | undefined {
  return config.TM_ALERT_WEBHOOK_URL ? new WebhookAlertSink(config.TM_ALERT_WEBHOOK_URL, { secret: config.TM_ALERT_WEBHOOK_SECRET, timeoutMs: config.TM_CALL_TIMEOUT_MS }) : undefined;
}

/**
 * OnceMarks on Redis: `<prefix>:monitor-once:<key>` is claimed with SET NX before the side effect
 * (kept 30 days), then holds its result; a failed side effect deletes it so a retry tries again.
 * A process killed mid-effect leaves the claim: the effect is then not repeated (at most once).
 */
export function redisOnceMarks(connection: RedisClient, prefix: string): OnceMarks {
  return {
    async once<T>(key: string, fn: () => Promise<T>): Promise<T | undefined> {
      const k = `${prefix}:monitor-once:${key}`;
      const claimed = await connection.set(k, '', 'EX', 30 * DAY_S, 'NX');
      if (claimed !== 'OK') {
        const held = await connection.get(k);
        return held ? (JSON.parse(held) as T) : undefined;
      }
      try {
        const result = await fn();
        await connection.set(k, JSON.stringify(result ?? null), 'EX', 30 * DAY_S);
        return result;
      } catch (err) {
        await connection.del(k);
        throw err;
      }
    },
  };
}

/** One job scheduler per monitored model on the monitor queue (ids `monitor-<model>`). */
export class MonitorScheduler {
  readonly queue: Queue;
  constructor(connection: RedisClient, prefix: string) {
    this.queue = quietRedis(new Queue(MONITOR_QUEUE, { connection, prefix }));
  }

  /** Creates or updates a model's schedule (idempotent: every worker process may call it). */
  async ensure(model: string, every: NonNullable<MonitorEvery>): Promise<void> {
    const data: MonitorPayload = MonitorPayload.parse({ model });
    await this.queue.upsertJobScheduler(schedulerId(model), 'every' in every ? { every: every.every } : { pattern: every.pattern, tz: 'UTC' }, {
      name: 'monitor',
      data,
      opts: { attempts: 3, backoff: { type: 'exponential', delay: 5_000 }, removeOnComplete: { count: 200 }, removeOnFail: { count: 200 } },
    });
  }

  remove(model: string): Promise<boolean> {
    return this.queue.removeJobScheduler(schedulerId(model));
  }

  /** Models with a schedule. */
  async models(): Promise<string[]> {
    const all = await this.queue.getJobSchedulers();
    return all.flatMap((s) => (s.key.startsWith('monitor-') ? [s.key.slice('monitor-'.length)] : []));
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}

export interface MonitorProcessorDeps extends Omit<MonitorDeps, 'log'> {
  log: Logger;
  settings: MonitorSettings;
}

/** Processor of monitor jobs: one monitor run of the job's model, its progress the windows done. */
export function monitorProcessor(d: MonitorProcessorDeps) {
  return async (job: Job): Promise<MonitorResult> => {
    try {
      const { model } = MonitorPayload.parse(job.data);
      const log = d.log.child({ queue: MONITOR_QUEUE, jobId: job.id, model });
      const result = await runMonitor({ ...d, log }, model, d.settings, (p) => job.updateProgress(p));
      if (result.held) log.info({ held: result.held, cursor: new Date(result.cursorMs).toISOString() }, 'monitor: rows wait for the next run');
      return MonitorResult.parse(result);
    } catch (err) {
      rethrowForQueue(err);
    }
  };
}

export interface MonitoringOptions {
  connection: RedisClient;
  prefix: string;
  store: ArtifactStore;
  registry: ModelRegistry;
  log: Logger;
  settings: MonitorSettings;
  every: MonitorEvery;
  sink?: AlertSink;
  tracker?: Tracker;
  /** The action of alerting windows (TM_MONITOR_RETRAIN); default none. */
  retrain?: RetrainHook;
  lockDuration?: number;
  stalledInterval?: number;
  now?: () => number;
}

/**
 * The monitor in a worker process: a schedule per served model (every model with a production
 * version, and any model announced later), and a worker taking one monitor job at a time.
 */
export async function startMonitoring(o: MonitoringOptions): Promise<{ scheduler: MonitorScheduler; worker: Worker; close(): Promise<void> }> {
  const scheduler = new MonitorScheduler(o.connection, o.prefix);
  const every = o.every;
  const schedule = async (model: string) => {
    if (every && (await o.registry.alias(model, 'production')) !== undefined) await scheduler.ensure(model, every);
  };
  if (every) for (const model of await o.registry.names()) await schedule(model);
  else for (const model of await scheduler.models()) await scheduler.remove(model);
  const changes = new ModelChanges(o.connection, o.prefix);
  if (every) void changes.listen((model) => void schedule(model).catch((err: unknown) => o.log.warn({ model, err: (err as Error).message }, 'monitor: could not schedule')));
  const worker = quietRedis(
    new Worker(MONITOR_QUEUE, monitorProcessor({ ...o, marks: redisOnceMarks(o.connection, o.prefix) }), {
      connection: o.connection,
      prefix: o.prefix,
      concurrency: 1,
      lockDuration: o.lockDuration ?? 30_000,
      stalledInterval: o.stalledInterval ?? 30_000,
    }),
  );
  return {
    scheduler,
    worker,
    async close() {
      changes.close();
      await worker.close();
      await scheduler.close();
    },
  };
}
