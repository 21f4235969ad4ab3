import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { ApiError } from '../errors.js';
import type { ApiMetrics } from '../metrics.js';
import type { ModelHolder, ServedModel } from '../serving/model-holder.js';
import type { PredictionLog } from '../serving/prediction-log.js';
import { featuresOf, rowsOf } from '../serving/body-shape.js';
import { recordsToFrame } from '../serving/records.js';
import { Verdicts, type Scored } from '../serving/verdicts.js';
import { errorResponses } from './shared.js';

const FeatureValue = z.union([z.number(), z.string(), z.null()]);
const Record_ = z.record(z.string(), FeatureValue).openapi('FeatureRecord', { example: { having_IP_Address: -1, URL_Length: 1 } });
const PredictRequest = z.object({ features: Record_ }).strict().openapi('PredictRequest');
const BatchRequest = z.object({ rows: z.array(Record_).min(1) }).strict().openapi('BatchPredictRequest');
const Prediction = z
  .object({
    label: z.string(),
    threat: z.boolean(),
    probabilities: z.record(z.string(), z.number()),
    model: z.string(),
    modelVersion: z.number().int(),
  })
  .openapi('Prediction');
const BatchPrediction = z
  .object({ predictions: z.array(Prediction.omit({ model: true, modelVersion: true })), model: z.string(), modelVersion: z.number().int() })
  .openapi('BatchPrediction');

const errors = errorResponses(400, 401, 413, 415, 422, 503);

const predictRoute = createRoute({
  method: 'post',
  path: '/v1/predict',
  summary: 'Score one record',
  security: [{ apiKey: [] }],
  request: { body: { content: { 'application/json': { schema: PredictRequest } }, required: true } },
  responses: { 200: { description: 'The verdict', content: { 'application/json': { schema: Prediction } } }, ...errors },
});

const batchRoute = createRoute({
  method: 'post',
  path: '/v1/predict/batch',
  summary: 'Score up to the row limit synchronously',
  security: [{ apiKey: [] }],
  request: { body: { content: { 'application/json': { schema: BatchRequest } }, required: true } },
  responses: { 200: { description: 'One verdict per row, in order', content: { 'application/json': { schema: BatchPrediction } } }, ...errors },
});

export function predictRoutes(app: OpenAPIHono, models: ModelHolder, opts: { maxBatchRows: number; metrics: ApiMetrics; log?: PredictionLog }): void {
  // Per served model: its answer writer (built once, not per request).
  const verdictsOf = new WeakMap<ServedModel, Verdicts>();
  /** Scores the rows with the production model; counts and samples them; returns the JSON answer. */
  const score = (rows: Record<string, unknown>[], answer: (v: Verdicts, s: Scored) => string) => {
    const served = models.model;
    if (!served) throw new ApiError(503, 'no_model', 'no production model is loaded yet');
    let verdicts = verdictsOf.get(served);
    if (!verdicts) verdictsOf.set(served, (verdicts = new Verdicts(served)));
    const scored = verdicts.scored(served.pipeline.predictProba(recordsToFrame(rows, served.schema)));
    opts.metrics.countPredictions(served.name, served.version, verdicts.classes, verdicts.counts(scored));
    if (opts.log) {
      const at = new Date().toISOString();
      const v = verdicts;
      opts.log.record(rows.length, (i) => ({ at, model: served.name, version: served.version, features: rows[i], label: v.classes[scored.best[i]], probabilities: v.probabilities(scored, i) }));
    }
    return answer(verdicts, scored);
  };
  const json = { 'content-type': 'application/json' };

  // Documented with their schemas, validated by hand (see body-shape), answered as JSON text (see Verdicts).
  app.openAPIRegistry.registerPath(predictRoute);
  app.post(predictRoute.path, async (c) => c.body(score([featuresOf(await c.req.json())], (v, s) => v.one(s)), 200, json));

  app.openAPIRegistry.registerPath(batchRoute);
  app.post(batchRoute.path, async (c) => {
    const rows = rowsOf(await c.req.json());
    if (rows.length > opts.maxBatchRows) throw new ApiError(422, 'batch_too_large', `at most ${opts.maxBatchRows} rows per call; use /v1/batches for more`, { rows: rows.length });
    return c.body(score(rows, (v, s) => v.batch(s)), 200, json);
  });
}
