import { randomUUID } from 'node:crypto';
import { batchKeys } from '../../core/batch/batch-keys.js';
import { csvField } from '../../core/batch/csv-field.js';
import { chunkCsv, UploadTooLarge } from '../../core/batch/csv-chunker.js';
import { putJson } from '../../core/artifacts/json.js';
import { mapHeader } from '../../core/data/header.js';
import { IssueCollector } from '../../core/data/read-issues.js';
import { DataError } from '../../core/errors.js';
import type { ArtifactStore } from '../../core/ports/artifact-store.js';
import type { ServedModel } from '../../core/registry/served-model.js';
import type { BatchExplain, BatchMeta, ChunkPayload, DatasetSchema } from '../../schema/index.js';
import { ApiError } from '../errors.js';

export interface BatchIntakeOptions {
  store: ArtifactStore;
  /** Queues the stored chunks; `requestId` is the HTTP request's, for the jobs' logs. */
  enqueue(batchId: string, chunks: Omit<ChunkPayload, 'batchId' | 'requestId'>[], requestId?: string): Promise<void>;
  /** Rows per chunk job. Default 50,000. */
  rowsPerChunk?: number;
  /**
   * Rows per chunk job of an explained batch, when fewer than `rowsPerChunk`. Default 2,000:
   * explaining runs at ~0.5-3k rows/s on one thread (about 100 times slower than scoring), so a
   * chunk takes seconds, not minutes, and the batch's progress (chunks done) keeps moving.
   */
  explainRowsPerChunk?: number;
  /** Upload size limit in bytes. Default 1 GiB. */
  maxUploadBytes?: number;
  /** Whether the queue (Redis) answers now: when not, a batch is refused (503) before anything is stored. */
  queueReady?: () => Promise<boolean>;
  /** An enqueue that takes longer is refused (503) and the batch removed. Default 5,000 ms. */
  enqueueTimeoutMs?: number;
}

const queueDown = () => new ApiError(503, 'queue_unavailable', 'the batch queue (Redis) is not reachable: nothing was kept, retry later');

/** `p`, or a 503 when it takes over `ms` (a queue that lost Redis waits for it forever). */
async function withinMs<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(queueDown()), ms)));
  p.catch(() => undefined); // a late failure after the 503 has nobody left to tell
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** 422 unless the header holds every feature of the model once; other columns are carried through. */
function checkHeader(header: string[], schema: DatasetSchema): void {
  const issues = new IssueCollector();
  mapHeader(header, schema, issues, false);
  const errors = issues.list().filter((i) => i.severity === 'error');
  if (errors.length) {
    throw new ApiError(422, 'invalid_header', errors[0].message, errors.map((e) => ({ field: e.column, rule: e.rule, message: e.message })));
  }
}

/** JSON records as CSV bytes in the schema's feature order, a thousand rows at a time. */
export async function* recordsAsCsv(records: Record<string, unknown>[], schema: DatasetSchema): AsyncGenerator<Uint8Array> {
  const names = schema.features.map((f) => f.name);
  yield Buffer.from(`${names.map(csvField).join(',')}\n`);
  for (let i = 0; i < records.length; i += 1000) {
    yield Buffer.from(records.slice(i, i + 1000).map((r) => `${names.map((n) => csvField(r[n])).join(',')}\n`).join(''));
  }
}

/** Bytes of a refused upload still read (and dropped) so that the client, still sending, gets the answer. */
const DRAIN_BYTES = 16 * 1024 * 1024;

/**
 * Reads and drops what is left of a refused upload, up to DRAIN_BYTES, then cancels it. Closing
 * the connection at once makes most HTTP clients (fetch, curl) report a broken pipe instead of
 * the 4xx that says what was wrong.
 */
export async function drainRefused(body: ReadableStream<Uint8Array>): Promise<void> {
  if (body.locked) return; // someone still reads it: nothing to drain from here
  const reader = body.getReader();
  try {
    for (let read = 0; read < DRAIN_BYTES; ) {
      const { done, value } = await reader.read();
      if (done) return;
      read += value.length;
      // Buffered chunks resolve at once, one microtask after another: let other requests in between.
      await new Promise((r) => setImmediate(r));
    }
    await reader.cancel();
  } catch {
    // The client went away: nothing left to drain.
  } finally {
    reader.releaseLock();
  }
}

/** What a batch asks for besides its rows. */
export interface BatchRequest {
  /** The HTTP request's id, carried into the jobs' logs. */
  requestId?: string;
  /** Explanation columns (see `batchExplainOf`); none by default. */
  explain?: BatchExplain;
}

/**
 * Accepts an async batch: cuts the upload into chunk objects in the store as it arrives (never
 * the whole upload in memory), writes the batch metadata, then queues one job per chunk. A refused
 * upload (size, header, ragged row) leaves nothing behind.
 */
export async function acceptBatch(o: BatchIntakeOptions, model: ServedModel, body: AsyncIterable<Uint8Array>, format: BatchMeta['format'], r: BatchRequest = {}): Promise<BatchMeta> {
  const { requestId, explain } = r;
  const rowsPerChunk = explain ? Math.min(o.rowsPerChunk ?? 50_000, o.explainRowsPerChunk ?? 2_000) : o.rowsPerChunk;
  if (o.queueReady && !(await o.queueReady())) throw queueDown();
  const batchId = randomUUID();
  const keys = batchKeys(batchId);
  const chunks: Omit<ChunkPayload, 'batchId' | 'requestId'>[] = [];
  try {
    const csv = await chunkCsv(
      body,
      async (chunk) => {
        await o.store.put(keys.input(chunk.index), chunk.bytes);
        chunks.push({ chunk: chunk.index, firstRow: chunk.firstRow, ...(explain ? { explain: { top: explain.top } } : {}) });
      },
      { rowsPerChunk, maxBytes: o.maxUploadBytes, onHeader: (header) => checkHeader(header, model.schema) },
    );
    const meta: BatchMeta = {
      batchId,
      modelName: model.name,
      modelVersion: model.version,
      threshold: model.threshold,
      header: csv.header,
      classes: model.pipeline.classes,
      predictionIds: true,
      ...(explain ? { explain } : {}),
      rows: csv.rows,
      chunks: csv.chunks,
      bytes: csv.bytes,
      format,
      createdAt: new Date().toISOString(),
    };
    await putJson(o.store, keys.meta, meta);
    await withinMs(o.enqueue(batchId, chunks, requestId), o.enqueueTimeoutMs ?? 5_000);
    return meta;
  } catch (err) {
    await Promise.all((await o.store.list(keys.base).catch(() => [])).map((k) => o.store.delete(k).catch(() => undefined)));
    if (err instanceof UploadTooLarge) throw new ApiError(413, 'body_too_large', err.message, [{ field: 'body', rule: 'max-bytes', message: err.message }]);
    if (err instanceof DataError) {
      const row = err.line === undefined ? undefined : err.line - 1;
      throw new ApiError(422, 'invalid_csv', err.message, [{ field: err.column ?? 'body', rule: err.rule, ...(row ? { row } : {}) }]);
    }
    throw err;
  }
}
