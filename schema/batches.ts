import { z } from 'zod';
import { RequestId, RunId } from './jobs.js';

/** The queue async prediction batches run on: one `batch` parent job, one `chunk` child per chunk. */
export const PREDICT_QUEUE = 'predict';

export const BatchId = RunId;

/** The explanations a batch asked for (`POST /v1/batches?explain=k`): the top k contributions per row, as columns. */
export const BatchExplainRequest = z.object({ top: z.number().int().min(1) });
export type BatchExplainRequest = z.infer<typeof BatchExplainRequest>;

/** An explained batch, as its metadata and status state it. */
export const BatchExplain = BatchExplainRequest.extend({
  /** What the contributions add up to: `margin` (log-odds; softmax score when multi-class) for boosting and logistic regression, `probability` for trees and forests; the model's raw output, before calibration. */
  output: z.enum(['margin', 'probability']),
  /** The class explained: the positive (threat) class of a binary model; null when multi-class, where each row's predicted class is explained. */
  class: z.string().nullable(),
});
export type BatchExplain = z.infer<typeof BatchExplain>;

/** What is known once an upload is stored (written as `batch.json` before any job is queued). */
export const BatchMeta = z.object({
  batchId: BatchId,
  modelName: z.string(),
  /** The production version when the batch was accepted: every chunk uses it. */
  modelVersion: z.number().int(),
  /** The version's threat threshold when the batch was accepted: every chunk flags threats by it. */
  threshold: z.number().optional(),
  /** The input columns, as uploaded. */
  header: z.array(z.string()),
  /** The model's classes, in its order (the results' `p_<class>` columns); absent on batches from before they were written. */
  classes: z.array(z.string()).optional(),
  /** Whether result rows carry prediction ids (`prediction_id`, derived from batchId and createdAt); absent on batches from before. */
  predictionIds: z.boolean().optional(),
  /** Set when the batch adds explanation columns (see `explainColumns`); absent on plain batches. */
  explain: BatchExplain.optional(),
  rows: z.number().int().positive(),
  chunks: z.number().int().positive(),
  bytes: z.number().int(),
  format: z.enum(['csv', 'json']),
  createdAt: z.string(),
});
export type BatchMeta = z.infer<typeof BatchMeta>;

export const RowError = z.object({ row: z.number().int(), field: z.string().optional(), rule: z.string(), message: z.string() });
export type RowError = z.infer<typeof RowError>;

/** Unseen categories scored anyway (`unknown: ignore | other`), per column. */
const UnknownCounts = z.record(z.string(), z.number().int()).default({});

export const ChunkPayload = z.object({
  batchId: BatchId,
  chunk: z.number().int().nonnegative(),
  firstRow: z.number().int().positive(),
  requestId: RequestId.optional(),
  /** Adds the top-k explanation columns to the chunk's rows. */
  explain: BatchExplainRequest.optional(),
});
export const ChunkResult = z.object({
  chunk: z.number().int(),
  rows: z.number().int(),
  scored: z.number().int(),
  invalid: z.number().int(),
  errors: z.array(RowError),
  predicted: z.record(z.string(), z.number().int()),
  unknown: UnknownCounts,
});
export type ChunkPayload = z.infer<typeof ChunkPayload>;
export type ChunkResult = z.infer<typeof ChunkResult>;

/** A batch's totals, written as `summary.json` when its last chunk is done. */
export const BatchSummary = z.object({
  rows: z.number().int(),
  scored: z.number().int(),
  invalid: z.number().int(),
  errors: z.array(RowError),
  predicted: z.record(z.string(), z.number().int()),
  unknown: UnknownCounts,
  finishedAt: z.string(),
});
export type BatchSummary = z.infer<typeof BatchSummary>;

/** Job names on the predict queue and their payloads. */
export const PREDICT_JOBS = {
  chunk: { payload: ChunkPayload, result: ChunkResult },
  batch: { payload: z.object({ batchId: BatchId, requestId: RequestId.optional() }), result: BatchSummary },
} as const;
