import { z } from 'zod';
import { CronPattern, TimeZone } from './cron.js';
import { DEFAULT_TIME_BUDGET_SECONDS } from './run-config.js';
import { parseClusterSeeds } from './redis-cluster.js';
import { ModelAlertLimitsSchema, MonitorEverySchema } from './monitor.js';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const optional = z
  .string()
  .optional()
  .transform((v) => (v === '' ? undefined : v));

/** An optional value whose empty string means unset. */
const unset = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema);

/** Every environment variable threatmatrix reads, with its default. */
export const ConfigSchema = z.object({
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  /** BullMQ key prefix (one per deployment or test); `{name}` (a hash tag) on a Redis Cluster. */
  TM_QUEUE_PREFIX: z.string().regex(/^(\{[A-Za-z0-9_-]+\}|[A-Za-z0-9_-]+)$/, 'letters, digits, _ and -, or those in braces ({tm}) for a Redis Cluster').default('tm'),
  /** Redis Cluster seed nodes (host:port,... or redis://...); set, it replaces REDIS_URL. */
  TM_REDIS_CLUSTER: optional.superRefine((v, ctx) => {
    const seeds = v === undefined ? undefined : parseClusterSeeds(v);
    if (seeds && 'error' in seeds) ctx.addIssue({ code: 'custom', message: seeds.error });
  }),
  /** Artifact store: a directory, or s3://bucket[/prefix]. */
  TM_ARTIFACTS: z.string().min(1).default('.threatmatrix'),
  S3_ENDPOINT: optional.pipe(z.string().url().optional()),
  S3_REGION: z.string().default('us-east-1'),
  /** Path-style addressing (MinIO, s3rver); default on when S3_ENDPOINT is set. */
  S3_FORCE_PATH_STYLE: optional.pipe(bool.optional()),
  MLFLOW_TRACKING_URI: optional.pipe(z.string().url().optional()),
  MLFLOW_TRACKING_USERNAME: optional,
  MLFLOW_TRACKING_PASSWORD: optional,
  MLFLOW_TRACKING_TOKEN: optional,
  MLFLOW_EXPERIMENT_NAME: z.string().min(1).default('threatmatrix'),
  /**
   * Timeout of each outbound call, in ms: an MLflow request (answer and body), an S3 request's
   * connect and idle socket, MongoDB's server selection, connect and idle socket. Retries are bounded.
   */
  TM_CALL_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  /**
   * Cron for retraining (e.g. "0 3 * * *"): a worker starting with it creates the fleet's schedule
   * when there is none; it never replaces or removes one (`threatmatrix schedule set|off` do).
   */
  TM_RETRAIN_CRON: optional.pipe(CronPattern.optional()),
  TM_RETRAIN_TZ: TimeZone.default('UTC'),
  /** What scheduled retraining trains on (same forms as `threatmatrix train --data`). */
  TM_RETRAIN_DATA: z.string().min(1).default('data/phishing.csv'),
  TM_RETRAIN_SCHEMA: z.string().min(1).default('schema/phishing.yaml'),
  // Retraining on feedback when a monitor window alerts (workers/feedback-retrain.ts).
  /** Days of labelled predictions, up to the alerting window's end, a feedback run adds to TM_RETRAIN_DATA. */
  TM_MONITOR_FEEDBACK_DAYS: z.coerce.number().gt(0).max(366).default(7),
  /** Labelled rows a feedback run takes at most, the newest. */
  TM_MONITOR_FEEDBACK_MAX_ROWS: z.coerce.number().int().min(1).max(500_000).default(50_000),
  /** Share of a feedback run's training rows its feedback rows make up (the source's rows sampled to leave room); 0 = every source row. */
  TM_MONITOR_FEEDBACK_SHARE: z.coerce.number().min(0).max(0.95).default(0.5),
  /** Promote a new model when it beats production on this test metric by at least the delta. */
  TM_PROMOTION_METRIC: z.enum(['f1', 'macroF1', 'rocAuc', 'prAuc', 'accuracy']).default('f1'),
  TM_PROMOTION_MIN_DELTA: z.coerce.number().min(0).default(0),
  /** ... and the lower bound of its one-sided paired-bootstrap interval at this confidence is above 0 (0 = difference only). */
  TM_PROMOTION_CONFIDENCE: z.coerce.number().min(0).max(0.999).default(0.95),
  /** Fewest test rows outside production's training rows a comparison may use. */
  TM_PROMOTION_MIN_ROWS: z.coerce.number().int().min(1).default(100),
  /** API listen address and port. */
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  /** Comma-separated API keys per role (Bearer tokens). */
  TM_API_KEYS_PREDICT: optional,
  TM_API_KEYS_ADMIN: optional,
  /** Model the API serves. */
  TM_MODEL_NAME: z.string().default('phishing'),
  /** API processes `threatmatrix serve` runs on its port (node:cluster). */
  TM_API_WORKERS: z.coerce.number().int().min(1).default(1),
  /** Seconds the API waits on SIGTERM for requests in flight before it cuts connections. */
  TM_API_SHUTDOWN_SECONDS: z.coerce.number().min(0).max(3600).default(25),
  /**
   * Comma-separated directories whose files `POST /v1/training-runs` may train from (`data`
   * paths, symlinks resolved); s3:// and mongodb:// need none. The CLI reads any path.
   */
  TM_DATA_ROOTS: z.string().min(1).default('data'),
  /** Rows per synchronous batch call. */
  TM_MAX_BATCH_ROWS: z.coerce.number().int().min(1).default(10_000),
  /** Size limit of an async batch upload (POST /v1/batches, text/csv), in bytes. */
  TM_MAX_UPLOAD_BYTES: z.coerce.number().int().min(1).default(2 ** 30),
  /** Rows per chunk job of an async batch. */
  TM_BATCH_CHUNK_ROWS: z.coerce.number().int().min(100).default(50_000),
  /** Share of served predictions (API answers and async batch rows) logged to the artifact store for monitoring; 0 = no log. */
  TM_PREDICTION_SAMPLE_RATE: z.coerce.number().min(0).max(1).default(0.1),
  /** About this many logged a second per API process under load, never more: the log's cost stays bounded. */
  TM_PREDICTION_LOG_MAX_PER_SECOND: z.coerce.number().int().min(0).default(1000),
  /**
   * Default time budget of a training run in seconds, ingest to registered model (`--time-budget`,
   * `timeBudgetSeconds` override it); 0 = no limit. 240 keeps a whole default run within 5 minutes
   * on 2 cores, the budget's 10 % tolerance included.
   */
  TM_TIME_BUDGET_SECONDS: z.coerce.number().min(0).default(DEFAULT_TIME_BUDGET_SECONDS),
  /** BullMQ job lock of the workers, ms (a dead worker's job is retried after it expires). */
  TM_LOCK_DURATION_MS: z.coerce.number().int().min(100).default(30_000),
  /** How often workers look for stalled jobs, ms. */
  TM_STALLED_INTERVAL_MS: z.coerce.number().int().min(50).default(30_000),
  /** Threads that score big tree-ensemble batches; unset = CPU count, 1 = on the calling thread. */
  TM_SCORING_THREADS: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(1).max(256).optional()),
  /** TensorFlow.js backend; unset = native when installed, else wasm. */
  TM_TF_BACKEND: optional.pipe(z.enum(['tensorflow', 'wasm', 'cpu']).optional()),
  /** The key `threatmatrix predict` sends when --key is not given. */
  TM_API_KEY: optional.pipe(z.string().regex(/^[^\s,]+$/, 'one key, without spaces or commas').optional()),
  /**
   * How often each served model's monitor job runs (workers): `off`, a duration (`5m`; a bare
   * number is ms) or a cron pattern (UTC). Each run reports the windows completed since the last.
   */
  TM_MONITOR_EVERY: z.string().default('5m').pipe(MonitorEverySchema),
  /** Length of a monitor window, minutes (time windows). */
  TM_MONITOR_WINDOW_MINUTES: z.coerce.number().min(0.05).max(7 * 24 * 60).default(15),
  /** Logged predictions per monitor window instead (count windows); 0 = time windows. */
  TM_MONITOR_WINDOW_ROWS: z.coerce.number().int().min(0).max(1_000_000).default(0),
  /** A window with fewer logged predictions waits for more (joined with the next), and never alerts. */
  TM_MONITOR_MIN_ROWS: z.coerce.number().int().min(1).default(200),
  /** ... but for at most this many minutes: older rows are reported however few. */
  TM_MONITOR_MAX_AGE_MINUTES: z.coerce.number().min(1).max(7 * 24 * 60).default(360),
  /** Start a retraining run (configured source plus feedback rows) when a window alerts. */
  TM_MONITOR_RETRAIN: bool.default(false),
  /** Where alerts are POSTed (JSON, HMAC-signed with TM_ALERT_WEBHOOK_SECRET); unset = log only. */
  TM_ALERT_WEBHOOK_URL: optional.pipe(z.string().url().optional()),
  TM_ALERT_WEBHOOK_SECRET: optional,
  /** Per-model alert limits, JSON `{"<model>": {"featureDriftShare": 0.3, "minLabelled": 100}}` (keys of alert-rules.ts), over the TM_ALERT_* ones. */
  TM_ALERT_LIMITS: unset(ModelAlertLimitsSchema.optional()),
  /** Alert limits (core/monitoring/alert-rules.ts); unset = its defaults. */
  TM_ALERT_FEATURE_DRIFT_SHARE: unset(z.coerce.number().min(0).max(1).optional()),
  TM_ALERT_PREDICTION_DRIFT: optional.pipe(bool.optional()),
  TM_ALERT_ESTIMATED_F1_DROP: unset(z.coerce.number().min(0).max(1).optional()),
  TM_ALERT_REALISED_F1_DROP: unset(z.coerce.number().min(0).max(1).optional()),
  TM_ALERT_MIN_LABELLED: unset(z.coerce.number().int().min(0).optional()),
  TM_ALERT_MISSING_RATE: unset(z.coerce.number().min(0).max(1).optional()),
  TM_ALERT_UNKNOWN_RATE: unset(z.coerce.number().min(0).max(1).optional()),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
export type Config = z.infer<typeof ConfigSchema>;

/**
 * Variables that libraries threatmatrix uses read themselves: the AWS SDK's credentials (S3,
 * MinIO), and Node's NODE_ENV. Deployment files may set these besides ConfigSchema's.
 */
export const LIBRARY_ENV = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'NODE_ENV'] as const;

/** Configuration that cannot start the process: lists every bad variable at once. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

// BullMQ runs multi-key scripts over a queue's keys, and a flow's over every stage queue: on a
// Redis Cluster they must share one slot, so the whole prefix is a hash tag ({tm}). Checked apart
// from ConfigSchema, which must stay pickable.
const CheckedConfigSchema = ConfigSchema.superRefine((c, ctx) => {
  // Only a well-formed prefix gets this message (a malformed one already has its own).
  if (c.TM_REDIS_CLUSTER && /^[A-Za-z0-9_-]+$/.test(c.TM_QUEUE_PREFIX ?? '')) {
    ctx.addIssue({ code: 'custom', path: ['TM_QUEUE_PREFIX'], message: `with TM_REDIS_CLUSTER it must be a hash tag such as {${c.TM_QUEUE_PREFIX}}, so each flow's keys share one cluster slot` });
  }
});

function parseEnv<T extends z.ZodType>(schema: T, env: Env): z.infer<T> {
  const r = schema.safeParse(env);
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
  throw new ConfigError(`bad configuration:\n${lines.join('\n')}`);
}

// The one place that reads process.env (an ESLint rule keeps it so).
const processEnv = (): Env => process.env;

/** Parses the environment once; values of secrets never appear in the error. */
export function loadConfig(env: Env = processEnv()): Config {
  return parseEnv(CheckedConfigSchema, env);
}

const RuntimeSchema = ConfigSchema.pick({ TM_SCORING_THREADS: true, TM_TF_BACKEND: true });
export type RuntimeSettings = z.infer<typeof RuntimeSchema>;
let runtime: RuntimeSettings | undefined;

/**
 * The settings code deep in core reads wherever it runs (training child processes and threads
 * included, which inherit the environment): parsed from the same schema once per process, so a
 * bad value fails the same way; the CLI has already refused it at start-up through loadConfig.
 */
export function runtimeSettings(env?: Env): RuntimeSettings {
  if (env) return parseEnv(RuntimeSchema, env);
  return (runtime ??= parseEnv(RuntimeSchema, processEnv()));
}
