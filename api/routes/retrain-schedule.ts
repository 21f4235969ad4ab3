import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { withoutCredentials } from '../../core/security/redact.js';
import { cronProblem } from '../../schema/cron.js';
import type { RetrainSchedule, RetrainTemplate } from '../../workers/retrain.js';
import { keyIdOf } from '../access-log.js';
import { access } from '../auth.js';
import { apiRunSource } from '../data-arg.js';
import { ApiError } from '../errors.js';
import type { TrainingControl } from './training-runs.js';
import { errorResponses } from './shared.js';

/** What the schedule routes need: the fleet's retraining scheduler (workers/retrain.ts). */
export interface ScheduleControl {
  show(): Promise<RetrainSchedule | undefined>;
  set(s: { cron: string; tz: string; template: RetrainTemplate }, setBy: string): Promise<RetrainSchedule>;
  off(): Promise<boolean>;
}

const SetSchedule = z
  .object({
    // Checked in the handler with its time zone (cronProblem): one 422 naming the field.
    cron: z.string().min(1).openapi({ description: 'When runs start, as cron (5 fields, or 6 with seconds), e.g. "0 3 * * *"', example: '0 3 * * *' }),
    tz: z.string().min(1).default('UTC').openapi({ description: 'IANA time zone of the pattern (default UTC)' }),
    data: z.string().min(1).optional().openapi({ description: 'What each run trains on (as POST /v1/training-runs); default TM_RETRAIN_DATA' }),
    collection: z.string().min(1).optional(),
    schema: z.record(z.string(), z.unknown()).optional().openapi({ description: 'Dataset schema; default TM_RETRAIN_SCHEMA' }),
    families: z.array(z.string()).min(1).optional(),
    timeBudgetSeconds: z.number().min(0).max(7 * 86_400).optional(),
  })
  .strict()
  .openapi('SetRetrainSchedule');
const Schedule = z
  .object({
    cron: z.string(),
    tz: z.string(),
    next: z.string().nullable(),
    modelName: z.string(),
    source: z.record(z.string(), z.unknown()),
    families: z.array(z.string()).optional(),
    timeBudgetSeconds: z.number().optional(),
    setBy: z.string(),
    setAt: z.string(),
  })
  .openapi('RetrainSchedule');
const None = z.object({ schedule: z.null() }).openapi('NoRetrainSchedule');
const security = access.admin;
const PATH = '/v1/retrain-schedule';

function view(s: RetrainSchedule): z.infer<typeof Schedule> {
  // Stored without credentials already (RetrainScheduler.set); redacted again in case of an older entry.
  const { source, modelName, families, timeBudgetSeconds } = withoutCredentials(s.template);
  return {
    cron: s.cron,
    tz: s.tz,
    next: s.next ? new Date(s.next).toISOString() : null,
    modelName,
    source,
    families,
    timeBudgetSeconds,
    setBy: s.setBy,
    setAt: s.setAt,
  };
}

/** GET / PUT / DELETE the fleet's retraining schedule (admin). Workers never change it on their own. */
export function retrainScheduleRoutes(app: OpenAPIHono, schedule: ScheduleControl, training: TrainingControl): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: PATH,
      operationId: 'getRetrainSchedule',
      summary: 'The retraining schedule, or null when there is none',
      security,
      responses: { 200: { description: 'Schedule', content: { 'application/json': { schema: z.union([Schedule, None]) } } }, ...errorResponses(401, 403) },
    }),
    async (c) => {
      const s = await schedule.show();
      return c.json(s ? view(s) : { schedule: null }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: PATH,
      operationId: 'setRetrainSchedule',
      summary: 'Create or replace the retraining schedule',
      security,
      request: { body: { content: { 'application/json': { schema: SetSchedule } }, required: true } },
      responses: { 200: { description: 'Schedule set', content: { 'application/json': { schema: Schedule } } }, ...errorResponses(401, 403, 422) },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const problem = cronProblem(body.cron, body.tz);
      if (problem) throw new ApiError(422, 'invalid_request', problem, [{ field: /time zone/.test(problem) && !cronProblem(body.cron) ? 'tz' : 'cron', rule: 'cron', message: problem }]);
      const d = training.defaults;
      const schema = body.schema ?? d.schema;
      const modelName = typeof schema.name === 'string' ? schema.name : d.modelName;
      const template = {
        modelName,
        schema,
        source: body.data ? await apiRunSource(body.data, body.collection ?? modelName, training.dataRoots, training.source) : d.source,
        families: body.families,
        timeBudgetSeconds: body.timeBudgetSeconds ?? d.timeBudgetSeconds,
      };
      return c.json(view(await schedule.set({ cron: body.cron, tz: body.tz, template }, `api:${keyIdOf(c.req.header('authorization')) ?? 'open'}`)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: PATH,
      operationId: 'removeRetrainSchedule',
      summary: 'Remove the retraining schedule',
      security,
      responses: { 200: { description: 'Removed (or there was none)', content: { 'application/json': { schema: z.object({ removed: z.boolean() }) } } }, ...errorResponses(401, 403) },
    }),
    async (c) => c.json({ removed: await schedule.off() }, 200),
  );
}
