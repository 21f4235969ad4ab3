import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Queue } from 'bullmq';
import { getJson } from '../../core/artifacts/json.js';
import { runKeys } from '../../core/pipeline/run-keys.js';
import { runOutcome, type RunOutcome } from '../../core/pipeline/run-outcome.js';
import type { ArtifactStore } from '../../core/ports/artifact-store.js';
import { parseDatasetSchema, SchemaFileError } from '../../schema/parse-schema.js';
import { searchProblems } from '../../core/tuning/run-families.js';
import { FamilyFailure, RunId, RunSpec, type RunSpecInput, type SourceSpec, type StageName } from '../../schema/jobs.js';
import { RunConfig } from '../../schema/run-config.js';
import type { CancelOutcome } from '../../workers/run-control.js';
import { firstFailure } from '../../workers/run-failure.js';
import { listRuns, newRunId, runJobs } from '../../workers/run-jobs.js';
import { access } from '../auth.js';
import { apiRunSource } from '../data-arg.js';
import { ApiError } from '../errors.js';
import { ErrorSchema } from './shared.js';

/** What the training routes need: a way to enqueue and cancel runs, the stage queues, the store, defaults. */
export interface TrainingControl {
  /** `requestId`: the HTTP request's, carried by every job of the run. */
  enqueue(run: RunSpecInput, requestId?: string): Promise<unknown>;
  /** Cancels a run without waiting for its active jobs to stop (workers kill them on the signal). */
  cancel(runId: string): Promise<CancelOutcome>;
  queues: Record<StageName, Queue>;
  store: ArtifactStore;
  defaults: { modelName: string; source: SourceSpec; schema: Record<string, unknown>; timeBudgetSeconds?: number };
  /** Turns a `data` argument (path, s3://, mongodb://) into a source. */
  source(data: string, collection: string): SourceSpec;
  /** Directories the API may train from (TM_DATA_ROOTS); `data` paths outside them are refused. */
  dataRoots: readonly string[];
}

const StartRun = z
  .object({
    data: z.string().min(1).max(4096).optional().openapi({ description: 'A CSV file under a data root (TM_DATA_ROOTS) on the workers, s3://bucket/key or mongodb://host/db' }),
    collection: z.string().min(1).optional(),
    schema: z.record(z.string(), z.unknown()).optional().openapi({ description: 'Dataset schema (as in a schema file); default the configured one' }),
    families: z.array(z.string()).min(1).optional(),
    folds: z.number().int().min(2).max(20).optional(),
    testSize: z.number().gt(0).lt(1).optional().openapi({ description: 'Share of rows held out for the test metrics (default 0.2)' }),
    refitAll: z.boolean().optional().openapi({ description: 'After evaluation, refit the chosen family on all rows and register that pipeline (metrics stay the held-out ones; default false)' }),
    allowPartial: z.boolean().optional().openapi({ description: 'Accept a run where some families failed: promote as usual (default false: such a run stays a candidate)' }),
    name: z.string().optional(),
    timeBudgetSeconds: z.number().min(0).max(7 * 86_400).optional().openapi({ description: 'Seconds the whole run may take (0 = no limit); default the run file, else TM_TIME_BUDGET_SECONDS' }),
    config: RunConfig.optional().openapi({ description: 'A run file as an object: timeBudget, families, folds, search (per-family grid and fixed params), threshold (rule), calibration' }),
  })
  .strict()
  .openapi('StartTrainingRun');
const Started = z.object({ runId: z.string() }).openapi('TrainingRunStarted');
const StageState = z.object({ stage: z.string(), job: z.string(), state: z.string(), progress: z.unknown(), attempts: z.number().int(), error: z.string().optional() });
/** A run's state: from the store once it ended (succeeded, partial, cancelled, failed-validation), else from its queued jobs. */
const RunState = z.enum(['queued', 'running', 'succeeded', 'partial', 'failed', 'failed-validation', 'cancelled']);
const RunDetail = z
  .object({
    runId: z.string(),
    state: RunState,
    /** Families that failed and why (a partial run). */
    failures: z.array(FamilyFailure),
    cancelled: z.object({ at: z.string(), reason: z.string() }).optional(),
    /** The failure that ended the run: its first stage that failed on its own (not a parent it failed), and why. */
    failure: z.object({ stage: z.string(), reason: z.string() }).optional(),
    stages: z.array(StageState),
    result: z.unknown().optional(),
    validation: z.unknown().optional(),
    drift: z.unknown().optional(),
  })
  .openapi('TrainingRun');
const RunList = z.object({ runs: z.array(z.object({ runId: z.string(), finished: z.boolean(), cancelled: z.boolean() })) }).openapi('TrainingRuns');
const Cancelled = z.object({ runId: z.string(), state: z.literal('cancelled'), removed: z.number().int(), stopping: z.number().int() }).openapi('TrainingRunCancelled');
// Checked as a RunId: anything else (../x, 8 KB) is a 422 naming id, before it reaches Redis or the store.
const IdParam = z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' }, example: 'run-20260101-120000-a1b2c3' }).pipe(RunId) });
const errors = {
  401: { description: 'No or unknown API key', content: { 'application/json': { schema: ErrorSchema } } },
  403: { description: 'Not an admin key', content: { 'application/json': { schema: ErrorSchema } } },
  404: { description: 'No such run', content: { 'application/json': { schema: ErrorSchema } } },
  422: { description: 'Invalid options', content: { 'application/json': { schema: ErrorSchema } } },
};
const security = access.admin;

export function trainingRunRoutes(app: OpenAPIHono, t: TrainingControl): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/training-runs',
      operationId: 'startTrainingRun',
      summary: 'Enqueue a training run (the ingest -> register flow)',
      security,
      request: { body: { content: { 'application/json': { schema: StartRun } }, required: true } },
      responses: { 202: { description: 'Enqueued', content: { 'application/json': { schema: Started } } }, ...errors },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const schema = body.schema ?? t.defaults.schema;
      // Checked here, so a bad schema is a 422 naming each problem once, not a failed run later.
      if (body.schema !== undefined) checkSchema(body.schema);
      const modelName = body.name ?? (typeof schema.name === 'string' ? schema.name : t.defaults.modelName);
      const parsed = RunSpec.safeParse({
        runId: newRunId(),
        modelName,
        source: body.data ? await apiRunSource(body.data, body.collection ?? modelName, t.dataRoots, t.source) : t.defaults.source,
        schema,
        families: body.families ?? body.config?.families,
        folds: body.folds ?? body.config?.folds,
        testSize: body.testSize,
        refitAll: body.refitAll,
        allowPartial: body.allowPartial,
        timeBudgetSeconds: body.timeBudgetSeconds ?? body.config?.timeBudget ?? t.defaults.timeBudgetSeconds,
        search: body.config?.search,
        threshold: body.config?.threshold,
        calibration: body.config?.calibration,
      });
      if (!parsed.success) throw new ApiError(422, 'invalid_request', parsed.error.issues[0].message, parsed.error.issues.map((i) => ({ field: fieldOf(i.path), rule: i.code, message: i.message })));
      // Overrides sit under `config` in the body.
      const problems = searchProblems(parsed.data.families, parsed.data.search).map((p) => (p.startsWith('search.') ? `config.${p}` : p));
      if (problems.length) throw new ApiError(422, 'invalid_request', problems[0], problems.map(searchProblemDetail));
      try {
        await t.enqueue(parsed.data, c.get('requestId' as never));
      } catch (err) {
        // The queues (Redis) did not take it: nothing was accepted, the caller may retry.
        throw new ApiError(503, 'queue_unavailable', 'the run queue is unavailable; nothing was enqueued, try again later', undefined, err);
      }
      return c.json({ runId: parsed.data.runId }, 202);
    },
  );

  app.openapi(
    createRoute({ method: 'get', path: '/v1/training-runs', operationId: 'listTrainingRuns', summary: 'Runs in the artifact store', security, responses: { 200: { description: 'Runs', content: { 'application/json': { schema: RunList } } }, ...errors } }),
    async (c) => c.json({ runs: await listRuns(t.store) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/training-runs/{id}',
      operationId: 'getTrainingRun',
      summary: 'Per-stage state, progress, metrics, validation and drift reports',
      security,
      request: { params: IdParam },
      responses: { 200: { description: 'The run', content: { 'application/json': { schema: RunDetail } } }, ...errors },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const jobs = await runJobs(t.queues, id);
      const stages: z.infer<typeof StageState>[] = await Promise.all(
        jobs.map(async ({ stage, job }) => ({ stage, job: job.id!, state: await job.getState(), progress: job.progress, attempts: job.attemptsMade, error: job.failedReason || undefined })),
      );
      const k = runKeys(id);
      const [outcome, validation, drift] = await Promise.all([runOutcome(t.store, id), getJson(t.store, k.validation), getJson(t.store, k.drift)]);
      if (!stages.length && !validation && outcome.state !== 'cancelled') throw notFound(id);
      const result = 'result' in outcome ? outcome.result : undefined;
      const cancelled = outcome.state === 'cancelled' ? { at: outcome.at, reason: outcome.reason } : undefined;
      const failure = firstFailure(stages.flatMap((s) => (s.state === 'failed' && s.error ? [{ stage: s.stage as StageName, reason: s.error }] : [])));
      return c.json({ runId: id, state: stateOf(outcome, stages), failures: result?.failures ?? [], cancelled, failure, stages, result, validation, drift }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/training-runs/{id}',
      operationId: 'cancelTrainingRun',
      summary: 'Cancel a run: its queued jobs are removed and workers stop its running ones (training processes included)',
      security,
      request: { params: IdParam },
      responses: {
        202: { description: 'Cancelled; running jobs are stopping', content: { 'application/json': { schema: Cancelled } } },
        409: { description: 'The run has already ended (registered or failed)', content: { 'application/json': { schema: ErrorSchema } } },
        ...errors,
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const outcome = await t.cancel(id);
      if (outcome.state === 'unknown') throw notFound(id);
      if (outcome.state === 'finished') throw new ApiError(409, 'conflict', `training run ${id} has already ended`, [{ field: 'id', rule: 'unfinished-run', message: 'the run has already ended' }]);
      return c.json({ runId: id, state: 'cancelled' as const, removed: outcome.removed, stopping: outcome.stillActive }, 202);
    },
  );
}

const notFound = (id: string) => new ApiError(404, 'not_found', `no training run ${id}`, [{ field: 'id', rule: 'exists', message: `no training run ${id}` }]);

/** A RunSpec issue's path as the body names it: `source` is the body's `data`, `modelName` its `name`. */
function fieldOf(path: PropertyKey[]): string {
  if (path[0] === 'source') return 'data';
  if (path[0] === 'modelName') return 'name';
  return `${path[0] === 'search' ? 'config.' : ''}${path.map(String).join('.')}` || 'body';
}

/** `families[0]: unknown model family ...` -> field, rule and message. */
function searchProblemDetail(problem: string) {
  const cut = problem.indexOf(': ');
  const message = problem.slice(cut + 2);
  const rule = /^unknown model family/.test(message) ? 'known-family' : /^unknown param/.test(message) ? 'known-param' : 'param-rule';
  return { field: problem.slice(0, cut), rule, message };
}

/** A dataset schema given in the body, or a 422 with one detail per distinct problem. */
function checkSchema(schema: Record<string, unknown>): void {
  try {
    parseDatasetSchema(JSON.stringify(schema), 'schema');
  } catch (err) {
    if (!(err instanceof SchemaFileError)) throw err;
    throw new ApiError(422, 'invalid_schema', 'schema: not a valid dataset schema', err.problems.map((p) => ({ field: `schema.${p.split(/[ :]/)[0]}`, rule: 'dataset-schema', message: p })));
  }
}

/** The stored outcome when the run ended; otherwise what its jobs say. */
function stateOf(outcome: RunOutcome, stages: z.infer<typeof StageState>[]): z.infer<typeof RunState> {
  if (outcome.state !== 'unfinished') return outcome.state;
  // A chain stage that failed fails the run; a failed family alone does not.
  if (stages.some((s) => s.state === 'failed' && s.stage !== 'train-family')) return 'failed';
  return stages.some((s) => s.state === 'active' || s.state === 'completed') ? 'running' : 'queued';
}
