import { Worker, type Job } from 'bullmq';
import type { RedisClient } from './redis-connection.js';
import { batchKeys } from '../core/batch/batch-keys.js';
import { chunkTotals } from '../core/batch/chunk-totals.js';
import { ThreadScorer } from '../core/batch/thread-scorer.js';
import { getJson, putJson } from '../core/artifacts/json.js';
import { batchIdRange } from '../core/monitoring/prediction-id.js';
import { logParts } from '../core/monitoring/prediction-log-format.js';
import { PermanentError } from '../core/errors.js';
import type { ArtifactStore } from '../core/ports/artifact-store.js';
import { BatchMeta, BatchSummary, ChunkResult, PREDICT_JOBS, PREDICT_QUEUE } from '../schema/batches.js';
import { rethrowForQueue } from './job-errors.js';
import { quietRedis } from './redis-errors.js';

export interface PredictWorkerOptions {
  connection: RedisClient;
  prefix: string;
  /** Batches' chunks and results, and the model registry the scoring threads load versions from. */
  store: ArtifactStore;
  /**
   * Chunks at once, each parsed and scored on its own thread. Default 1: a second thread did not
   * speed up the 200k-row bench:batch on 2 busy cores and raised its peak RSS from 0.69 to 0.96 GB.
   */
  concurrency?: number;
  /** Lock and stall timers. Defaults 30 s / 30 s. */
  lockDuration?: number;
  stalledInterval?: number;
  /** Share of scored rows written to the prediction log (TM_PREDICTION_SAMPLE_RATE). Default 0. */
  predictionSampleRate?: number;
}

/**
 * Serves the predict queue: scores each chunk of an async batch, then sums the batch up. Models are
 * loaded, and chunks parsed and scored, on scoring threads, never on this event loop: a slow model
 * (KNN on a big chunk) would otherwise outlive the job lock it cannot renew, and freeze an API
 * sharing the process.
 */
export function startPredictWorker(o: PredictWorkerOptions): Worker {
  const concurrency = o.concurrency ?? 1;
  const scorer = new ThreadScorer({ store: o.store, threads: concurrency });
  const metaOf = async (batchId: string) => {
    const meta = await getJson(o.store, batchKeys(batchId).meta);
    if (!meta) throw new PermanentError(`batch ${batchId} has no stored metadata`);
    return BatchMeta.parse(meta);
  };

  const chunk = async (job: Job) => {
    const p = PREDICT_JOBS.chunk.payload.parse(job.data);
    const keys = batchKeys(p.batchId);
    const meta = await metaOf(p.batchId);
    const bytes = await o.store.get(keys.input(p.chunk));
    if (!bytes) throw new PermanentError(`batch ${p.batchId} chunk ${p.chunk} is missing from the store`);
    const ids = meta.predictionIds ? batchIdRange(p.batchId, Date.parse(meta.createdAt)) : undefined;
    // An explained chunk takes seconds to minutes: its progress (percent) shows in the batch's status.
    let percent = 0;
    const onProgress = (fraction: number) => {
      const now = Math.min(99, Math.floor(fraction * 100));
      if (now > percent) void job.updateProgress((percent = now)).catch(() => undefined);
    };
    const options = { ids, logSample: o.predictionSampleRate ?? 0, explain: p.explain, onProgress };
    const { chunk: scored } = await scorer
      .scoreChunk({ name: meta.modelName, version: meta.modelVersion, threshold: meta.threshold }, meta.header, bytes, p.firstRow, 20, options)
      .catch((err: unknown) => {
        // A model file the intake could not see was unexplainable (saved before covers): retrying won't help.
        throw (err as Error)?.name === 'ExplainError' ? new PermanentError((err as Error).message) : err;
      });
    const { bytes: csv, logged, ...counts } = scored;
    // Keys named by batch and chunk: a retried chunk rewrites its own log part.
    for (const part of logParts(logged ?? [], `batch-${p.batchId}-${p.chunk}`)) await o.store.put(part.key, part.body);
    await o.store.put(keys.result(p.chunk), csv);
    await job.updateProgress(100);
    return ChunkResult.parse({ chunk: p.chunk, ...counts });
  };

  const batch = async (job: Job) => {
    const { batchId } = PREDICT_JOBS.batch.payload.parse(job.data);
    const { rows, scored, invalid, errors, predicted, unknown } = chunkTotals(Object.values(await job.getChildrenValues()).map((v) => ChunkResult.parse(v)), 100);
    const summary = BatchSummary.parse({ rows, scored, invalid, errors, predicted, unknown, finishedAt: new Date().toISOString() });
    await putJson(o.store, batchKeys(batchId).summary, summary);
    return summary;
  };

  const worker = quietRedis(new Worker(
    PREDICT_QUEUE,
    async (job: Job) => {
      try {
        return job.name === 'chunk' ? await chunk(job) : await batch(job);
      } catch (err) {
        rethrowForQueue(err);
      }
    },
    {
      connection: o.connection,
      prefix: o.prefix,
      concurrency,
      lockDuration: o.lockDuration ?? 30_000,
      stalledInterval: o.stalledInterval ?? 30_000,
    },
  ));
  worker.on('closed', () => void scorer.close());
  return worker;
}
