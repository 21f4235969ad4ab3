import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { idAt, newIdRange, type IdRange } from '../../core/monitoring/prediction-id.js';
import { access } from '../auth.js';
import { ApiError } from '../errors.js';
import type { ApiMetrics } from '../metrics.js';
import type { ModelHolder, ServedModel } from '../serving/model-holder.js';
import type { PredictionLog } from '../serving/prediction-log.js';
import { DEFAULT_TOP } from '../../core/explain/explanation.js';
import { explainOf, featuresOf, MAX_TOP, rowsOf } from '../serving/body-shape.js';
import { OffLoopScoring } from '../serving/off-loop-scoring.js';
import { recordsToFrame } from '../serving/records.js';
import type { Frame } from '../../core/data/frame.js';
import { Verdicts, type Scored } from '../serving/verdicts.js';
import { errorResponses, FeatureRecord } from './shared.js';

const ExplainOption = z
  .union([z.boolean(), z.object({ top: z.number().int().min(1).max(MAX_TOP).optional() }).strict()])
  .optional()
  .openapi({ description: `true: add the ${DEFAULT_TOP} largest contributions; {"top": k}: the k largest. See README "Reading an explanation".` });
const PredictRequest = z.object({ features: FeatureRecord, explain: ExplainOption }).strict().openapi('PredictRequest');
const BatchRequest = z.object({ rows: z.array(FeatureRecord).min(1), explain: ExplainOption }).strict().openapi('BatchPredictRequest');
const Explanation = z
  .object({
    output: z.enum(['margin', 'probability']).openapi({ description: "The model's raw output, before the version's calibration of the answered probabilities: margin: log-odds (softmax score when multi-class) for boosting and logistic regression; probability for trees and forests" }),
    class: z.string().openapi({ description: 'The class explained: the threat class when binary, the predicted class when multi-class' }),
    baseValue: z.number(),
    outputValue: z.number().openapi({ description: 'baseValue + sum: the model output explained' }),
    sum: z.number().openapi({ description: 'Sum of every feature contribution, listed or not' }),
    contributions: z.array(z.object({ feature: z.string(), value: z.union([z.number(), z.string()]).nullable(), contribution: z.number() })),
  })
  .openapi('Explanation');
const Prediction = z
  .object({
    predictionId: z.string().openapi({ description: 'This answer\'s id (UUIDv7, time-ordered): send it back with the true label to POST /v1/feedback', example: '019a7c3e-5b2d-7f1a-9c3e-4b5d6e7f8a9b' }),
    label: z.string().openapi({ description: 'The most probable class' }),
    threat: z.boolean().openapi({ description: 'score >= threshold' }),
    score: z.number().openapi({ description: 'P(any threat class), calibrated when the version is' }),
    threshold: z.number().openapi({ description: "The version's threat threshold now (chosen at training, changed by POST /v1/models/{version}/threshold)" }),
    probabilities: z.record(z.string(), z.number()),
    explanation: Explanation.optional(),
    model: z.string(),
    modelVersion: z.number().int(),
  })
  .openapi('Prediction');
const BatchPrediction = z
  .object({ predictions: z.array(Prediction.omit({ model: true, modelVersion: true, threshold: true })), threshold: z.number(), model: z.string(), modelVersion: z.number().int() })
  .openapi('BatchPrediction');

/** Rows from which a request yields to the event loop between parsing and encoding. */
const BIG_REQUEST_ROWS = 2_000;

/** A JSON POST route of the predict key, documented with its schemas (validated by hand, see body-shape). */
const jsonPost = <Req extends z.ZodType, Res extends z.ZodType>(path: string, operationId: string, summary: string, request: Req, answer: string, response: Res) =>
  createRoute({
    method: 'post',
    path,
    operationId,
    summary,
    security: access.predict,
    request: { body: { content: { 'application/json': { schema: request } }, required: true } },
    responses: { 200: { description: answer, content: { 'application/json': { schema: response } } }, ...errorResponses(400, 401, 413, 415, 422, 503) },
  });

const predictRoute = jsonPost('/v1/predict', 'predict', 'Score one record', PredictRequest, 'The verdict', Prediction);
const batchRoute = jsonPost('/v1/predict/batch', 'predictBatch', 'Score up to the row limit synchronously', BatchRequest, 'One verdict per row, in order', BatchPrediction);

export function predictRoutes(
  app: OpenAPIHono,
  models: ModelHolder,
  opts: { maxBatchRows: number; metrics: ApiMetrics; log?: PredictionLog; scoring?: OffLoopScoring },
): void {
  // Per served model: its answer writer (built once, not per request).
  const verdictsOf = new WeakMap<ServedModel, Verdicts>();
  const scoring = opts.scoring ?? new OffLoopScoring({ store: models.store });
  /** Scores the rows with the production model; counts and samples them; returns the JSON answer. */
  const score = async (rows: Record<string, unknown>[], source: 'predict' | 'batch', top: number | undefined, answer: (v: Verdicts, s: Scored, ids: IdRange, extra?: (i: number) => string) => string) => {
    const served = models.model;
    if (!served) throw new ApiError(503, 'no_model', 'no production model is loaded yet');
    let verdicts = verdictsOf.get(served);
    if (!verdicts) verdictsOf.set(served, (verdicts = new Verdicts(served)));
    // After parsing a big body, let waiting requests in before encoding it (two shorter holds of the loop).
    if (rows.length >= BIG_REQUEST_ROWS) await new Promise((r) => setImmediate(r));
    const { frame, unknown } = recordsToFrame(rows, served.schema);
    // Small or fast requests score inline; big slow ones on a scoring thread (the event loop stays free).
    let extra: ((i: number) => string) | undefined;
    let proba: Float64Array;
    if (top === undefined) proba = rows.length === 1 ? served.pipeline.predictProba(frame) : await scoring.predictProba(served, frame);
    else {
      const got = await explained(served, frame, top);
      proba = got.proba;
      extra = (i) => `,"explanation":${got.explanations[i]}`;
    }
    const scored = verdicts.scored(proba);
    opts.metrics.countPredictions(served.name, served.version, verdicts.classes, verdicts.counts(scored));
    opts.metrics.countUnknown(served.name, served.version, unknown);
    // Row i's id is idAt(ids, i): one random draw per request.
    const ids = newIdRange();
    if (opts.log) {
      let at: string | undefined; // written only when a row is sampled
      const v = verdicts;
      opts.log.record(rows.length, (i) => {
        const k = scored.best[i];
        return { id: idAt(ids, i), at: (at ??= new Date(ids.ms).toISOString()), model: served.name, version: served.version, source, features: rows[i], label: v.classes[k], threat: v.threat(scored, i), probabilities: v.probabilities(scored, i) };
      });
    }
    return answer(verdicts, scored, ids, extra);
  };
  /** Probabilities and explanations (JSON text per row); a family or model file that cannot be explained is a 422 naming it. */
  const explained = async (served: ServedModel, frame: Frame, top: number) => {
    try {
      return await scoring.explain(served, frame, top);
    } catch (err) {
      if ((err as Error)?.name !== 'ExplainError') throw err;
      const message = (err as Error).message;
      throw new ApiError(422, 'not_explainable', message, [{ field: 'explain', rule: 'explainable-model', message }]);
    }
  };
  const json = { 'content-type': 'application/json' };

  // Documented with their schemas, validated by hand (see body-shape), answered as JSON text (see Verdicts).
  app.openAPIRegistry.registerPath(predictRoute);
  app.post(predictRoute.path, async (c) => {
    const body: unknown = await c.req.json();
    return c.body(await score([featuresOf(body)], 'predict', explainOf(body, DEFAULT_TOP), (v, s, ids, extra) => v.one(s, ids, extra)), 200, json);
  });

  app.openAPIRegistry.registerPath(batchRoute);
  app.post(batchRoute.path, async (c) => {
    const body: unknown = await c.req.json();
    const rows = rowsOf(body);
    const top = explainOf(body, DEFAULT_TOP);
    if (rows.length > opts.maxBatchRows) {
      const message = `at most ${opts.maxBatchRows} rows per call; use /v1/batches for more`;
      throw new ApiError(422, 'batch_too_large', message, [{ field: 'rows', rule: 'max-rows', message, rows: rows.length }]);
    }
    return c.body(await score(rows, 'batch', top, (v, s, ids, extra) => v.batch(s, ids, extra)), 200, json);
  });
}
