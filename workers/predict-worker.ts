import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { batchKeys } from '../core/batch/batch-keys.js';
import { chunkTotals } from '../core/batch/chunk-totals.js';
import { ThreadScorer } from '../core/batch/thread-scorer.js';
import { getJson, putJson } from '../core/artifacts/json.js';
import { PermanentError } from '../core/errors.js';
import type { ArtifactStore } from '../core/ports/artifact-store.js';
import type { ModelRegistry } from '../core/ports/model-registry.js';
import { loadServedModel, type ServedModel } from '../core/registry/served-model.js';
import { BatchMeta, BatchSummary, ChunkResult, PREDICT_JOBS, PREDICT_QUEUE } from '../schema/batches.js';
import { rethrowForQueue } from './job-errors.js';

export interface PredictWorkerOptions {
  connection: Redis;
  prefix: string;
  store: ArtifactStore;
  registry: ModelRegistry;
  /** Chunks at once, each on its own scoring thread. Default 1 (tree scoring already uses every core). */
  concurrency?: number;
  /** Lock and stall timers. Defaults 30 s / 30 s. */
  lockDuration?: number;
  stalledInterval?: number;
}

/** Model versions in use by recent batches, loaded once each (the newest few are kept). */
class ModelCache {
  private readonly loaded = new Map<string, Promise<ServedModel>>();
  constructor(
    private readonly registry: ModelRegistry,
    private readonly store: ArtifactStore,
    private readonly keep = 2,
  ) {}

  get(name: string, version: number): Promise<ServedModel> {
    const key = `${name}@${version}`;
    let model = this.loaded.get(key);
    if (!model) {
      model = loadServedModel(this.registry, this.store, name, version).then((m) => {
        if (!m) throw new PermanentError(`model ${name} v${version} is not in the registry`);
        return m;
      });
      model.catch(() => this.loaded.delete(key));
      this.loaded.set(key, model);
      while (this.loaded.size > this.keep) this.loaded.delete(this.loaded.keys().next().value!);
    }
    return model;
  }
}

/**
 * Serves the predict queue: scores each chunk of an async batch, then sums the batch up. Chunks
 * are parsed and scored on scoring threads, never on this event loop: a slow model (KNN on a big
 * chunk) would otherwise outlive the job lock it cannot renew, and freeze an API sharing the process.
 */
export function startPredictWorker(o: PredictWorkerOptions): Worker {
  const models = new ModelCache(o.registry, o.store);
  const scorer = new ThreadScorer({ threads: o.concurrency ?? 1 });
  const metaOf = async (batchId: string) => {
    const meta = await getJson(o.store, batchKeys(batchId).meta);
    if (!meta) throw new PermanentError(`batch ${batchId} has no stored metadata`);
    return BatchMeta.parse(meta);
  };

  const chunk = async (job: Job) => {
    const p = PREDICT_JOBS.chunk.payload.parse(job.data);
    const keys = batchKeys(p.batchId);
    const meta = await metaOf(p.batchId);
    const model = await models.get(meta.modelName, meta.modelVersion);
    const bytes = await o.store.get(keys.input(p.chunk));
    if (!bytes) throw new PermanentError(`batch ${p.batchId} chunk ${p.chunk} is missing from the store`);
    const { chunk: scored } = await scorer.scoreChunk(model, meta.header, bytes, p.firstRow);
    await o.store.put(keys.result(p.chunk), scored.csv);
    await job.updateProgress(100);
    const { csv: _, ...counts } = scored;
    return ChunkResult.parse({ chunk: p.chunk, ...counts });
  };

  const batch = async (job: Job) => {
    const { batchId } = PREDICT_JOBS.batch.payload.parse(job.data);
    const { rows, scored, invalid, errors, predicted, unknown } = chunkTotals(Object.values(await job.getChildrenValues()).map((v) => ChunkResult.parse(v)), 100);
    const summary = BatchSummary.parse({ rows, scored, invalid, errors, predicted, unknown, finishedAt: new Date().toISOString() });
    await putJson(o.store, batchKeys(batchId).summary, summary);
    return summary;
  };

  const worker = new Worker(
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
      concurrency: o.concurrency ?? 1,
      lockDuration: o.lockDuration ?? 30_000,
      stalledInterval: o.stalledInterval ?? 30_000,
    },
  );
  worker.on('closed', () => void scorer.close());
  return worker;
}
