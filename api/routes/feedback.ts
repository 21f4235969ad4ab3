import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { feedbackFromCsv, feedbackFromJson } from '../../core/monitoring/feedback-input.js';
import { storeFeedback } from '../../core/monitoring/feedback-store.js';
import { findLogged } from '../../core/monitoring/logged-ids.js';
import { FeedbackAnswer, FeedbackRequest, type FeedbackAnswer as Answer } from '../../schema/feedback.js';
import { access } from '../auth.js';
import { ApiError } from '../errors.js';
import type { ModelHolder } from '../serving/model-holder.js';
import { errorResponses } from './shared.js';

export interface FeedbackRouteOptions {
  /** Size limit of a CSV body, bytes (JSON bodies have the API's JSON limit). Default 16 MiB. */
  maxCsvBytes?: number;
}

const route = createRoute({
  method: 'post',
  path: '/v1/feedback',
  operationId: 'sendFeedback',
  summary: 'Send true labels for predictions: a JSON list of {predictionId, label}, or a CSV with prediction_id and label columns. Idempotent per id (the latest label counts)',
  security: access.predict,
  request: {
    body: {
      content: { 'application/json': { schema: FeedbackRequest }, 'text/csv': { schema: z.string().openapi({ format: 'binary' }) } },
      required: true,
    },
  },
  responses: {
    200: { description: 'Stored; how many ids the prediction log holds', content: { 'application/json': { schema: FeedbackAnswer } } },
    ...errorResponses(400, 401, 413, 415, 422, 503),
  },
});

/** The CSV body as text, refused (413) past `max` bytes without reading the rest. */
async function csvText(body: ReadableStream<Uint8Array> | null, declared: string | undefined, max: number): Promise<string> {
  const tooLarge = () => new ApiError(413, 'body_too_large', `the body is over ${max} bytes`, [{ field: 'body', rule: 'max-bytes', message: `the body is over ${max} bytes` }]);
  if (Number(declared ?? 0) > max) {
    await body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (!body) return '';
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const part of body) {
    size += part.length;
    if (size > max) throw tooLarge(); // leaving the loop cancels the stream
    parts.push(part);
  }
  return Buffer.concat(parts).toString('utf8');
}

/** POST /v1/feedback: true labels for logged predictions, stored append-only (core/monitoring/feedback-store). */
export function feedbackRoutes(app: OpenAPIHono, models: ModelHolder, o: FeedbackRouteOptions = {}): void {
  const maxCsvBytes = o.maxCsvBytes ?? 16 * 1024 * 1024;
  app.openAPIRegistry.registerPath(route);
  app.post(route.path, async (c) => {
    const served = models.model;
    if (!served) throw new ApiError(503, 'no_model', 'no production model is loaded yet (labels are checked against its classes)');
    const type = (c.req.header('content-type') ?? '').toLowerCase();
    const classes = served.pipeline.classes;
    const input = type.startsWith('text/csv')
      ? feedbackFromCsv(await csvText(c.req.raw.body, c.req.header('content-length'), maxCsvBytes), classes)
      : feedbackFromJson(await c.req.json(), classes);
    if (!input.ok) throw new ApiError(422, 'invalid_feedback', input.problems[0].message, input.problems);
    // Of an id sent twice in one call the last row counts (as a later call would).
    const unique = new Map(input.labels.map((l) => [l.predictionId, l]));
    const labels = [...unique.values()];
    await storeFeedback(models.store, labels);
    const { found, unchecked } = await findLogged(models.store, served.name, unique.keys());
    const unmatchedIds = labels.filter((l) => !found.has(l.predictionId) && !unchecked.has(l.predictionId)).map((l) => l.predictionId);
    const answer: Answer = {
      received: input.labels.length,
      stored: labels.length,
      duplicates: input.labels.length - labels.length,
      matched: found.size,
      unmatched: unmatchedIds.length,
      unchecked: unchecked.size,
      unmatchedIds: unmatchedIds.slice(0, 20),
      message: unmatchedIds.length
        ? `${unmatchedIds.length} of ${labels.length} ids are not in the prediction log of ${served.name} (not sampled, or unknown): their labels are stored all the same`
        : `${labels.length} labels stored`,
    };
    return c.json(answer, 200);
  });
}
