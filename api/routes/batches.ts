import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { batchKeys } from '../../core/batch/batch-keys.js';
import { csvField } from '../../core/batch/csv-field.js';
import { resultColumns } from '../../core/batch/score-chunk.js';
import { getJson } from '../../core/artifacts/json.js';
import { BatchExplain, BatchMeta, BatchSummary } from '../../schema/batches.js';
import type { BatchJobState } from '../../workers/batches.js';
import { access } from '../auth.js';
import { ApiError } from '../errors.js';
import { batchExplainOf } from '../serving/batch-explain.js';
import { acceptBatch, drainRefused, recordsAsCsv, type BatchIntakeOptions } from '../serving/batch-intake.js';
import type { ModelHolder } from '../serving/model-holder.js';
import { checkRecordKeys } from '../serving/records.js';
import { errorResponses, FeatureRecord } from './shared.js';

export interface BatchControl extends BatchIntakeOptions {
  status(batchId: string): Promise<BatchJobState | undefined>;
}

const JsonBatch = z.object({ rows: z.array(FeatureRecord).min(1) }).strict().openapi('AsyncBatchRequest');
const Accepted = z.object({ batchId: z.string(), rows: z.number().int(), chunks: z.number().int(), model: z.string(), modelVersion: z.number().int(), status: z.string() }).openapi('BatchAccepted');
const ExplainQuery = z.object({
  explain: z
    .string()
    .optional()
    .openapi({
      param: { name: 'explain', in: 'query' },
      example: '5',
      description: "Add each row's k largest SHAP contributions as columns (k from 1 to the model's feature count; 400 otherwise; 422 for a model family that is not explained). See README \"Reading an explanation\".",
    }),
});
const RowErrorSchema = z.object({ row: z.number().int(), field: z.string().optional(), rule: z.string(), message: z.string() });
const Status = z
  .object({
    batchId: z.string(),
    state: z.enum(['queued', 'running', 'completed', 'failed', 'expired']),
    progress: z.number().min(0).max(1).openapi({ description: 'Share of the rows scored, counting running chunks; 1 only when completed' }),
    model: z.string(),
    modelVersion: z.number().int(),
    rows: z.number().int(),
    /** Present when the batch adds explanation columns: k, what they explain and for which class. */
    explain: BatchExplain.optional(),
    chunks: z.object({ total: z.number().int(), done: z.number().int() }),
    counts: z.object({ scored: z.number().int(), invalid: z.number().int() }),
    errors: z.array(RowErrorSchema),
    predicted: z.record(z.string(), z.number().int()).optional(),
    /** Unseen categories scored anyway (columns with `unknown: ignore | other`), per column. */
    unknown: z.record(z.string(), z.number().int()),
    failedReason: z.string().optional(),
    createdAt: z.string(),
    finishedAt: z.string().optional(),
    results: z.string().optional(),
  })
  .openapi('BatchStatus');
const IdParam = z.object({ id: z.uuid().openapi({ param: { name: 'id', in: 'path' }, example: '0b6f1d2e-3c4a-4f5b-8a9c-1d2e3f4a5b6c' }) });
const security = access.predict;

/** Async batches: CSV upload or JSON rows in, chunk jobs on the predict queue, a streamed CSV out. */
export function batchRoutes(app: OpenAPIHono, models: ModelHolder, control: BatchControl): void {
  const { store } = control;
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/batches',
      operationId: 'createBatch',
      summary: 'Queue an async batch: a CSV upload (header row with every feature; other columns are carried through) or JSON rows',
      security,
      request: {
        query: ExplainQuery,
        body: {
          content: { 'text/csv': { schema: z.string().openapi({ format: 'binary' }) }, 'application/json': { schema: JsonBatch } },
          required: false,
        },
      },
      responses: {
        202: { description: 'Accepted; poll the status URL', content: { 'application/json': { schema: Accepted } } },
        ...errorResponses(400, 401, 413, 415, 422, 503),
      },
    }),
    async (c) => {
      const served = models.model;
      if (!served) throw new ApiError(503, 'no_model', 'no production model is loaded yet');
      const type = (c.req.header('content-type') ?? '').toLowerCase();
      let body: AsyncIterable<Uint8Array>;
      const upload = type.startsWith('text/csv') ? c.req.raw.body : null;
      let uploadReader: AsyncIterableIterator<Uint8Array> | undefined;
      let explain: BatchExplain | undefined;
      try {
        explain = batchExplainOf(c.req.valid('query').explain, served);
      } catch (err) {
        // Refused before reading: drain (bounded) so that the client, still sending, reads the 4xx.
        if (upload) await drainRefused(upload);
        throw err;
      }
      if (type.startsWith('text/csv')) {
        if (!upload) throw new ApiError(422, 'invalid_csv', 'the CSV is empty', [{ field: 'body', rule: 'non-empty' }]);
        // Not cancelled when the reader stops early: a refused upload is drained (bounded) so the client reads the 4xx.
        body = uploadReader = upload.values({ preventCancel: true });
      } else {
        const json = c.req.valid('json');
        const rows = typeof json === 'object' ? json.rows : undefined;
        if (!rows) throw new ApiError(422, 'invalid_request', 'send text/csv or a JSON body with rows', [{ field: 'rows', rule: 'required' }]);
        checkRecordKeys(rows, served.schema);
        body = recordsAsCsv(rows, served.schema);
      }
      const meta = await acceptBatch(control, served, body, upload ? 'csv' : 'json', { requestId: c.get('requestId' as never), explain }).catch(async (err: unknown) => {
        // Refused before (or while) reading: let go of the reader the chunker held, without cancelling.
        await uploadReader?.return?.().catch(() => undefined);
        // Past the size limit the rest is not worth reading: the stream is cancelled (as before).
        if (upload && !(err instanceof ApiError && err.status === 413)) await drainRefused(upload);
        else await upload?.cancel().catch(() => undefined);
        throw err;
      });
      const status = `/v1/batches/${meta.batchId}`;
      c.header('location', status);
      return c.json({ batchId: meta.batchId, rows: meta.rows, chunks: meta.chunks, model: meta.modelName, modelVersion: meta.modelVersion, status }, 202);
    },
  );

  const metaOf = async (id: string) => {
    const meta = await getJson(store, batchKeys(id).meta);
    if (!meta) throw new ApiError(404, 'not_found', `no batch ${id}`, [{ field: 'id', rule: 'exists', message: `no batch ${id}` }]);
    return BatchMeta.parse(meta);
  };

  const statusOf = async (id: string, meta?: BatchMeta): Promise<z.infer<typeof Status>> => {
    meta ??= await metaOf(id);
    const base = { batchId: id, model: meta.modelName, modelVersion: meta.modelVersion, rows: meta.rows, ...(meta.explain ? { explain: meta.explain } : {}), createdAt: meta.createdAt };
    const completed = (summary: unknown): z.infer<typeof Status> => {
      const s = BatchSummary.parse(summary);
      return {
        ...base,
        state: 'completed',
        progress: 1,
        chunks: { total: meta.chunks, done: meta.chunks },
        counts: { scored: s.scored, invalid: s.invalid },
        errors: s.errors,
        predicted: s.predicted,
        unknown: s.unknown,
        finishedAt: s.finishedAt,
        results: `/v1/batches/${id}/results`,
      };
    };
    const summary = await getJson(store, batchKeys(id).summary);
    if (summary) return completed(summary);
    const jobs = await control.status(id);
    if (!jobs) return { ...base, state: 'expired', progress: 0, chunks: { total: meta.chunks, done: 0 }, counts: { scored: 0, invalid: 0 }, errors: [], unknown: {} };
    // The batch job writes the summary before it completes: one that completed between the two
    // reads above has it now.
    const late = jobs.state === 'completed' ? await getJson(store, batchKeys(id).summary) : undefined;
    if (late) return completed(late);
    return {
      ...base,
      state: jobs.state === 'completed' ? 'running' : jobs.state,
      // 1 only once completed: with every chunk done, the batch job still writes the results.
      progress: Math.min(0.99, jobs.progress),
      chunks: { total: meta.chunks, done: jobs.chunks.done },
      counts: { scored: jobs.scored, invalid: jobs.invalid },
      errors: jobs.errors,
      unknown: jobs.unknown,
      failedReason: jobs.failedReason,
    };
  };

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/batches/{id}',
      operationId: 'getBatch',
      summary: "A batch's state, progress, counts and first invalid rows",
      security,
      request: { params: IdParam },
      responses: { 200: { description: 'The batch', content: { 'application/json': { schema: Status } } }, ...errorResponses(401, 404, 422) },
    }),
    async (c) => c.json(await statusOf(c.req.valid('param').id), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/batches/{id}/results',
      operationId: 'getBatchResults',
      summary: 'The scored rows, streamed as CSV in input order: the input columns, then prediction_id, prediction, probability (of the predicted class), p_<class> for every class, threat (score >= the threshold when the batch was accepted), score (P(any threat class)), with ?explain=k explain_base, explain_<r>_feature and explain_<r>_contribution for r = 1..k, explain_output, and error',
      security,
      request: { params: IdParam },
      responses: {
        200: { description: 'CSV', content: { 'text/csv': { schema: z.string().openapi({ format: 'binary' }) } } },
        ...errorResponses(401, 404, 409, 422),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const meta = await metaOf(id);
      const status = await statusOf(id, meta);
      if (status.state !== 'completed') throw new ApiError(409, 'not_ready', `batch ${id} is ${status.state}`, [{ field: 'id', rule: 'completed', message: `batch ${id} is ${status.state}`, state: status.state, progress: status.progress }]);
      const keys = batchKeys(id);
      // Batches accepted before the p_<class> columns existed keep their first format.
      const added = resultColumns(meta.classes ?? [], { threat: meta.threshold !== undefined, ids: meta.predictionIds, explain: meta.explain?.top });
      const header = [...meta.header, ...added].map(csvField).join(',');
      let next = 0;
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(`${header}\n`));
        },
        // One chunk object at a time: memory stays at one chunk whatever the batch size.
        async pull(controller) {
          if (next === meta.chunks) return controller.close();
          const part = await store.get(keys.result(next));
          if (!part) return controller.error(new Error(`batch ${id} result ${next} is missing`));
          next++;
          controller.enqueue(part);
        },
      });
      return c.body(stream, 200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${id}.csv"` }) as never;
    },
  );
}
