import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { ModelRegistry } from '../../core/ports/model-registry.js';
import { getWindow, listWindowIds, parseWindowId, type MonitorWindow } from '../../core/monitoring/window-store.js';
import { DEFAULT_MONITOR_SPAN_MS, DEFAULT_MONITOR_WINDOWS, MAX_MONITOR_WINDOWS, MonitorModelName, MonitorSeries, MonitorWindowDetail, type MonitorWindowSummary } from '../../schema/monitoring.js';
import { access } from '../auth.js';
import { ApiError } from '../errors.js';
import type { ModelHolder } from '../serving/model-holder.js';
import { errorResponses } from './shared.js';

/** Window reads in flight for one request (each is one artifact-store GET). */
const READS_IN_FLIGHT = 8;

/** A finite number, else null (a stored NaN comes back from JSON as null). */
const finite = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

/** A window as a row of the time series: the figures a table or a chart needs. */
export function summarizeWindow(w: MonitorWindow): MonitorWindowSummary {
  const r = w.report;
  const f1 = r.estimated?.f1;
  const value = finite(f1?.value);
  const se = finite(f1?.se);
  const clip = (x: number) => Math.min(1, Math.max(0, x));
  return {
    id: w.id,
    version: w.version,
    fromMs: w.fromMs,
    toMs: w.toMs,
    createdAt: w.createdAt,
    rows: r.rows,
    driftShare: finite(r.features?.share),
    driftedFeatures: (r.features?.columns ?? []).filter((c) => c.drifted).map((c) => c.column),
    predictionDrift: r.prediction ? { drifted: r.prediction.drifted, test: r.prediction.test, score: finite(r.prediction.score), threshold: finite(r.prediction.threshold) } : null,
    threatShare: finite(r.prediction?.threatShare),
    referenceThreatShare: finite(r.prediction?.referenceThreatShare),
    estimatedF1: { value, se, lower: value === null || se === null ? null : clip(value - 1.96 * se), upper: value === null || se === null ? null : clip(value + 1.96 * se) },
    realised: r.realised ? { f1: finite(r.realised.f1), precision: finite(r.realised.precision), recall: finite(r.realised.recall), labelled: r.realised.labelled, coverage: finite(r.realised.coverage) } : null,
    testF1: finite(w.testF1),
    alerts: (w.alerts ?? []).map((a) => ({ rule: a.rule, value: finite(a.value), limit: finite(a.limit), message: a.message })),
    action: w.action ?? null,
  };
}

/** `from` / `to` as Unix ms: digits are ms, anything else must be an ISO 8601 date or date-time. */
function instant(field: 'from' | 'to', text: string | undefined, fallback: number): number {
  if (text === undefined || text === '') return fallback;
  // A date-time without a zone is UTC (Date.parse would take the server's local time).
  const iso = /T[\d:.]+$/.test(text) ? `${text}Z` : text;
  const ms = /^\d{1,15}$/.test(text) ? Number(text) : /^\d{4}-\d{2}-\d{2}(T|$)/.test(text) ? Date.parse(iso) : NaN;
  if (!Number.isFinite(ms)) throw badRequest(field, 'time', `${field} must be Unix milliseconds or an ISO 8601 date-time (got ${JSON.stringify(text.slice(0, 40))})`);
  return ms;
}

const badRequest = (field: string, rule: string, message: string) => new ApiError(400, 'invalid_request', message, [{ field, rule, message }]);

function modelOf(text: string): string {
  if (!MonitorModelName.safeParse(text).success) throw badRequest('model', 'model-name', 'model must be letters, digits, _ . or -, starting with a letter or digit');
  return text;
}

/** Runs `f` on every item with at most `width` calls in flight; results in input order. */
async function mapBounded<T, R>(items: T[], width: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, lane));
  return out;
}

const ModelParam = z.object({ model: z.string().openapi({ param: { name: 'model', in: 'path' }, example: 'phishing' }) });
const WindowParams = ModelParam.extend({ id: z.string().openapi({ param: { name: 'id', in: 'path' }, example: '1796025600000-1796025900000-v3' }) });
const SpanQuery = z.object({
  from: z.string().optional().openapi({ param: { name: 'from', in: 'query' }, description: 'Start (included): Unix ms or ISO 8601 (UTC when it names no zone). Default: 24 hours before `to`', example: '2026-11-30T00:00:00Z' }),
  to: z.string().optional().openapi({ param: { name: 'to', in: 'query' }, description: 'End (excluded): Unix ms or ISO 8601 (UTC when it names no zone). Default: now', example: '2026-12-01T00:00:00Z' }),
  limit: z
    .string()
    .optional()
    .openapi({ param: { name: 'limit', in: 'query' }, description: `Windows at most, newest kept (1-${MAX_MONITOR_WINDOWS}). Default ${DEFAULT_MONITOR_WINDOWS}`, example: '100' }),
});

const seriesRoute = createRoute({
  method: 'get',
  path: '/v1/monitoring/{model}',
  operationId: 'listMonitorWindows',
  summary: "A model's monitored windows overlapping [from, to), oldest first: drift, threat share, estimated and realised F1, alerts (at most `limit`, newest kept)",
  security: access.admin,
  request: { params: ModelParam, query: SpanQuery },
  responses: { 200: { description: 'The time series', content: { 'application/json': { schema: MonitorSeries.openapi('MonitorSeries') } } }, ...errorResponses(400, 401, 403, 404) },
});

const windowRoute = createRoute({
  method: 'get',
  path: '/v1/monitoring/{model}/windows/{id}',
  operationId: 'getMonitorWindow',
  summary: 'One monitored window as stored: every feature test, prediction drift, data quality, estimated and realised performance, alerts, action',
  security: access.admin,
  request: { params: WindowParams },
  responses: { 200: { description: 'The window', content: { 'application/json': { schema: MonitorWindowDetail.openapi('MonitorWindow') } } }, ...errorResponses(400, 401, 403, 404) },
});

/**
 * GET /v1/monitoring/{model} and /v1/monitoring/{model}/windows/{id}: the windows the monitor job
 * stored (core/monitoring/window-store.ts), read from the artifact store the API serves from.
 * Admin role, as GET /v1/models.
 */
export function monitoringRoutes(app: OpenAPIHono, models: ModelHolder, registry: ModelRegistry): void {
  const store = models.store;

  app.openapi(seriesRoute, async (c) => {
    const model = modelOf(c.req.param('model'));
    const q = c.req.query();
    const toMs = instant('to', q.to, Date.now());
    const fromMs = instant('from', q.from, toMs - DEFAULT_MONITOR_SPAN_MS);
    if (fromMs >= toMs) throw badRequest('from', 'before-to', `from (${new Date(fromMs).toISOString()}) must be before to (${new Date(toMs).toISOString()})`);
    const limit = q.limit === undefined ? DEFAULT_MONITOR_WINDOWS : Number(q.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_MONITOR_WINDOWS) throw badRequest('limit', 'range', `limit must be an integer from 1 to ${MAX_MONITOR_WINDOWS}`);

    const ids = await listWindowIds(store, model, { fromMs, toMs });
    // A model is known when it is registered or has windows at all (a second listing, only then).
    if (!ids.length && model !== models.name && !(await registry.names()).includes(model) && !(await listWindowIds(store, model)).length) {
      throw new ApiError(404, 'not_found', `no model ${model}: it has no monitored windows and is not registered`, [{ field: 'model', rule: 'exists', message: `no model ${model}` }]);
    }
    // Oldest first by span, then version (ids compare "v10" < "v9").
    const spans = ids
      .map((id) => ({ id, w: parseWindowId(id)! }))
      .sort((a, b) => a.w.toMs - b.w.toMs || a.w.fromMs - b.w.fromMs || a.w.version - b.w.version);
    const kept = spans.slice(Math.max(0, spans.length - limit));
    const read = await mapBounded(kept, READS_IN_FLIGHT, ({ id }) => getWindow(store, model, id));
    // A window deleted between the listing and its read is left out.
    const windows = read.filter((w): w is MonitorWindow => w !== undefined).map(summarizeWindow);
    return c.json({ model, fromMs, toMs, windows, truncated: kept.length < spans.length, total: spans.length }, 200);
  });

  app.openapi(windowRoute, async (c) => {
    const model = modelOf(c.req.param('model'));
    const id = c.req.param('id');
    if (!parseWindowId(id)) throw badRequest('id', 'window-id', 'id must be a window id: <from ms, 13 digits>-<to ms, 13 digits>-v<version>');
    const w = await getWindow(store, model, id);
    if (!w) throw new ApiError(404, 'not_found', `${model} has no window ${id}`, [{ field: 'id', rule: 'exists', message: `${model} has no window ${id}` }]);
    return c.json(w as z.infer<typeof MonitorWindowDetail>, 200);
  });
}
