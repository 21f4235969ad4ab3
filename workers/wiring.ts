import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CsvFileSource } from '../core/adapters/csv-file-source.js';
import { LocalArtifactStore } from '../core/adapters/local-artifact-store.js';
import { parseS3Uri, S3ArtifactStore } from '../core/adapters/s3-artifact-store.js';
import { S3CsvSource } from '../core/adapters/s3-csv-source.js';
import { MongoSource } from '../core/adapters/mongo-source.js';
import type { StageDeps } from '../core/pipeline/stage-deps.js';
import type { ArtifactStore } from '../core/ports/artifact-store.js';
import type { DataSource } from '../core/ports/data-source.js';
import { ArtifactRegistry } from '../core/registry/artifact-registry.js';
import type { Logger } from 'pino';
import { ArtifactTracker } from '../core/adapters/artifact-tracker.js';
import { MlflowClient } from '../core/adapters/mlflow/mlflow-client.js';
import { MlflowTracker } from '../core/adapters/mlflow/mlflow-tracker.js';
import { mirrorAliases } from '../core/adapters/mlflow/alias-mirror.js';
import type { Tracker } from '../core/ports/tracker.js';
import type { Config, SourceSpec } from '../schema/index.js';
import { logThrottle } from './log-throttle.js';

/**
 * An S3 client from the configuration. Credentials come from the AWS SDK's default chain
 * (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profiles, instance roles), never from our config.
 */
export function s3ClientFrom(config: Config): S3Client {
  return new S3Client({
    region: config.S3_REGION,
    endpoint: config.S3_ENDPOINT,
    forcePathStyle: config.S3_FORCE_PATH_STYLE ?? config.S3_ENDPOINT !== undefined,
    // A dead or silent endpoint fails a request instead of hanging it; the SDK retries with backoff.
    maxAttempts: 3,
    requestHandler: { connectionTimeout: config.TM_CALL_TIMEOUT_MS, socketTimeout: config.TM_CALL_TIMEOUT_MS },
  });
}

/** Adapters chosen from the configuration, in one place; the S3 client is made on first use. */
export function adaptersFrom(config: Config, s3 = lazy(() => s3ClientFrom(config))) {
  const store = (): ArtifactStore => {
    if (!config.TM_ARTIFACTS.startsWith('s3://')) return new LocalArtifactStore(config.TM_ARTIFACTS);
    const { bucket, key } = parseS3Uri(config.TM_ARTIFACTS);
    return new S3ArtifactStore(s3(), bucket, key);
  };
  const source = (spec: SourceSpec): DataSource => {
    if (spec.kind === 'csv') return new CsvFileSource(spec.path, spec.root);
    if (spec.kind === 's3') return new S3CsvSource(s3(), spec.uri);
    return new MongoSource(spec.uri, spec.db, spec.collection, { timeoutMs: config.TM_CALL_TIMEOUT_MS });
  };
  return { store, source };
}

/** MLflow when MLFLOW_TRACKING_URI is set (Basic auth from username + password, else Bearer token), else run records in the store. */
export function trackerFrom(config: Config, store: ArtifactStore, s3: () => S3Client = lazy(() => s3ClientFrom(config))): Tracker {
  if (!config.MLFLOW_TRACKING_URI) return new ArtifactTracker(store);
  const client = new MlflowClient(config.MLFLOW_TRACKING_URI, {
    username: config.MLFLOW_TRACKING_USERNAME,
    password: config.MLFLOW_TRACKING_PASSWORD,
    token: config.MLFLOW_TRACKING_TOKEN,
  }, { timeoutMs: config.TM_CALL_TIMEOUT_MS });
  return new MlflowTracker(client, config.MLFLOW_EXPERIMENT_NAME, (uri, body) => putS3Object(s3(), uri, body), store);
}

/** Writes one object to an s3:// URI. */
export async function putS3Object(client: S3Client, uri: string, body: Uint8Array | string): Promise<void> {
  const { bucket, key } = parseS3Uri(uri);
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

/** Stage dependencies from the configuration; `log` receives tracking problems (which never fail a run). */
export function stageDepsFrom(config: Config, log?: Pick<Logger, 'warn'>): StageDeps {
  const { store: makeStore, source } = adaptersFrom(config);
  const store = makeStore();
  // A tracker that stays down would log every call of every run: one line a minute per kind.
  const allow = logThrottle();
  const warn = (message: string, err: unknown) => {
    const { log: now, suppressed } = allow(message.startsWith('tracking:') ? 'tracking' : message);
    if (now) log?.warn({ err: (err as Error)?.message, ...(suppressed ? { suppressed } : {}) }, message);
  };
  const tracker = trackerFrom(config, store);
  return {
    store,
    // Promotions, rollbacks and pins from the API and the CLI reach MLflow's alias too.
    registry: mirrorAliases(new ArtifactRegistry(store), tracker, warn),
    source,
    promotion: { metric: config.TM_PROMOTION_METRIC, minDelta: config.TM_PROMOTION_MIN_DELTA, confidence: config.TM_PROMOTION_CONFIDENCE, minRows: config.TM_PROMOTION_MIN_ROWS },
    tracker,
    warn,
  };
}

function lazy<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}
