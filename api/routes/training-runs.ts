import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Queue } from 'bullmq';
import { getJson } from '../../core/artifacts/json.js';
import { runKeys } from '../../core/pipeline/run-keys.js';
import type { ArtifactStore } from '../../core/ports/artifact-store.js';
import { searchProblems } from '../../core/tuning/run-families.js';
import { RunSpec, STAGES, type RunSpecInput, type SourceSpec, type StageName } from '../../schema/jobs.js';
import { RunConfig } from '../../schema/run-config.js';
import { newRunId } from '../../workers/cli/run-args.js';
import { ApiError } from '../errors.js';
import { ErrorSchema } from './shared.js';

/** What the training routes need: a way to enqueue runs, the stage queues, the store, defaults. */
export interface TrainingControl {
  enqueue(run: RunSpecInput): Promise<unknown>;
  queues: Record<StageName, Queue>;
  store: ArtifactStore;
  defaults: { modelName: string; source: SourceSpec; schema: Record<string, unknown>; timeBudgetSeconds?: number };
  /** Turns a `data` argument (path, s3://, mongodb://) into a source. */
  source(data: string, collection: string): SourceSpec;
}

const StartRun = z
  .object({
    data: z.string().min(1).optional().openapi({ description: 'CSV path on the workers, s3://bucket/key or mongodb://host/db' }),
    collection: z.string().min(1).optional(),
    schema: z.record(z.string(), z.unknown()).optional().openapi({ description: 'Dataset schema (as in a schema file); default the configured one' }),
    families: z.array(z.string()).min(1).optional(),
    folds: z.number().int().min(2).max(20).optional(),
    name: z.string().optional(),
    timeBudgetSeconds: z.number().min(0).max(7 * 86_400).optional().openapi({ description: 'Seconds the whole run may take (0 = no limit); default the run file, else TM_TIME_BUDGET_SECONDS' }),
    config: RunConfig.optional().openapi({ description: 'A run file as an object: timeBudget, families, folds, search (per-family grid and fixed params)' }),
  })
  .strict()
  .openapi('StartTrainingRun');
const Started = z.object({ runId: z.string() }).openapi('TrainingRunStarted');
const StageState = z.object({ stage: z.string(), job: z.string(), state: z.string(), progress: z.unknown(), attempts: z.number().int(), error: z.string().optional() });
const RunDetail = z
  .object({
    runId: z.string(),
    stages: z.array(StageState),
    result: z.unknown().optional(),
    validation: z.unknown().optional(),
    drift: z.unknown().optional(),
  })
  .openapi('TrainingRun');
const RunList = z.object({ runs: z.array(z.object({ runId: z.string(), finished: z.boolean() })) }).openapi('TrainingRuns');
const errors = {
  401: { description: 'No or unknown API key', content: { 'application/json': { schema: ErrorSchema } } },
  403: { description: 'Not an admin key', content: { 'application/json': { schema: ErrorSchema } } },
  404: { description: 'No such run', content: { 'application/json': { schema: ErrorSchema } } },
  422: { description: 'Invalid options', content: { 'application/json': { schema: ErrorSchema } } },
};
const security = [{ apiKey: [] }];

export function trainingRunRoutes(app: OpenAPIHono, t: TrainingControl): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/training-runs',
      summary: 'Enqueue a training run (the ingest -> register flow)',
      security,
      request: { body: { content: { 'application/json': { schema: StartRun } }, required: true } },
      responses: { 202: { description: 'Enqueued', content: { 'application/json': { schema: Started } } }, ...errors },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const schema = body.schema ?? t.defaults.schema;
      const modelName = body.name ?? (typeof schema.name === 'string' ? schema.name : t.defaults.modelName);
      const parsed = RunSpec.safeParse({
        runId: newRunId(),
        modelName,
        source: body.data ? t.source(body.data, body.collection ?? modelName) : t.defaults.source,
        schema,
        families: body.families ?? body.config?.families,
        folds: body.folds ?? body.config?.folds,
        timeBudgetSeconds: body.timeBudgetSeconds ?? body.config?.timeBudget ?? t.defaults.timeBudgetSeconds,
        search: body.config?.search,
      });
      if (!parsed.success) throw new ApiError(422, 'invalid_request', parsed.error.issues[0].message, parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })));
      // Overrides sit under `config` in the body.
      const problems = searchProblems(parsed.data.families, parsed.data.search).map((p) => (p.startsWith('search.') ? `config.${p}` : p));
      if (problems.length) throw new ApiError(422, 'invalid_request', problems[0], problems.map((p) => ({ field: p.slice(0, p.indexOf(': ')), message: p.slice(p.indexOf(': ') + 2) })));
      await t.enqueue(parsed.data);
      return c.json({ runId: parsed.data.runId }, 202);
    },
  );

  app.openapi(
    createRoute({ method: 'get', path: '/v1/training-runs', summary: 'Runs in the artifact store', security, responses: { 200: { description: 'Runs', content: { 'application/json': { schema: RunList } } }, ...errors } }),
    async (c) => {
      const keys = await t.store.list('runs/');
      const ids = [...new Set(keys.map((k) => k.split('/')[1]))];
      return c.json({ runs: ids.map((runId) => ({ runId, finished: keys.includes(runKeys(runId).metrics) })) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/training-runs/{id}',
      summary: 'Per-stage state, progress, metrics, validation and drift reports',
      security,
      request: { params: z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' } }) }) },
      responses: { 200: { description: 'The run', content: { 'application/json': { schema: RunDetail } } }, ...errors },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const stages = [];
      for (const stage of STAGES.filter((s) => s !== 'train-family')) {
        const job = await t.queues[stage].getJob(`${id}-${stage}`);
        if (job) stages.push({ stage, job: job.id!, state: await job.getState(), progress: job.progress, attempts: job.attemptsMade, error: job.failedReason || undefined });
      }
      const families = (await t.queues['train-family'].getJobs(['waiting', 'active', 'completed', 'failed', 'delayed'])).filter((j) => j.id?.startsWith(`${id}-train-family-`));
      for (const job of families) stages.push({ stage: 'train-family', job: job.id!, state: await job.getState(), progress: job.progress, attempts: job.attemptsMade, error: job.failedReason || undefined });
      const k = runKeys(id);
      const [result, validation, drift] = await Promise.all([getJson(t.store, k.metrics), getJson(t.store, k.validation), getJson(t.store, k.drift)]);
      if (!stages.length && !validation) throw new ApiError(404, 'not_found', `no training run ${id}`);
      return c.json({ runId: id, stages, result, validation, drift }, 200);
    },
  );
}
