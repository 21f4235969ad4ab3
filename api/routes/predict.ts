import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { argmaxRows } from '../../core/models/model.js';
import { ApiError } from '../errors.js';
import type { ApiMetrics } from '../metrics.js';
import type { ModelHolder, ServedModel } from '../serving/model-holder.js';
import type { PredictionLog } from '../serving/prediction-log.js';
import { featuresOf, rowsOf } from '../serving/body-shape.js';
import { recordsToFrame } from '../serving/records.js';
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
  // Per served model: which labels are threats (built once, not per request).
  const threatsOf = new WeakMap<ServedModel, Set<string>>();
  const score = (rows: Record<string, unknown>[]) => {
    const served = models.model;
    if (!served) throw new ApiError(503, 'no_model', 'no production model is loaded yet');
    const frame = recordsToFrame(rows, served.schema);
    const { classes } = served.pipeline;
    const proba = served.pipeline.predictProba(frame);
    const K = classes.length;
    let threats = threatsOf.get(served);
    if (!threats) threatsOf.set(served, (threats = new Set(served.schema.label.threat.map(String))));
    const predictions = Array.from(argmaxRows(proba, K), (k, i) => {
      const probabilities: Record<string, number> = {};
      for (let j = 0; j < K; j++) probabilities[classes[j]] = proba[i * K + j];
      return { label: classes[k], threat: threats.has(classes[k]), probabilities };
    });
    opts.metrics.countPredictions(served.name, served.version, predictions);
    if (opts.log) {
      opts.log.record(predictions.length, (i) => ({ at: new Date().toISOString(), model: served.name, version: served.version, features: rows[i], label: predictions[i].label, probabilities: predictions[i].probabilities }));
    }
    return { predictions, model: served.name, modelVersion: served.version };
  };

  // Documented with their schemas, validated by hand (see body-shape).
  app.openAPIRegistry.registerPath(predictRoute);
  app.post(predictRoute.path, async (c) => {
    const { predictions, model, modelVersion } = score([featuresOf(await c.req.json())]);
    const { label, threat, probabilities } = predictions[0];
    return c.json({ label, threat, probabilities, model, modelVersion }, 200);
  });

  app.openAPIRegistry.registerPath(batchRoute);
  app.post(batchRoute.path, async (c) => {
    const rows = rowsOf(await c.req.json());
    if (rows.length > opts.maxBatchRows) throw new ApiError(422, 'batch_too_large', `at most ${opts.maxBatchRows} rows per call; use /v1/batches for more`, { rows: rows.length });
    return c.json(score(rows), 200);
  });
}
