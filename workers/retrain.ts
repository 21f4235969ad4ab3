import { readFile } from 'node:fs/promises';
import type { Job, Queue } from 'bullmq';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { parseDatasetSchema, type Config } from '../schema/index.js';
import { RunSpec, SourceSpec } from '../schema/jobs.js';
import { withoutCredentials } from '../core/security/redact.js';
import { sourceFromArg } from './cli/source-arg.js';
import type { RunProducer } from './flow.js';

export const RETRAIN_QUEUE = 'retrain';
const SCHEDULER_ID = 'scheduled-retrain';

/** What every scheduled run trains: the run spec minus its id. */
export const RetrainTemplate = z.object({
  modelName: RunSpec.shape.modelName,
  source: SourceSpec,
  schema: z.record(z.string(), z.unknown()),
  families: z.array(z.string()).min(1).optional(),
  /** Seconds each run may take (TM_TIME_BUDGET_SECONDS when the template was made). */
  timeBudgetSeconds: RunSpec.shape.timeBudgetSeconds.optional(),
});
export type RetrainTemplate = z.infer<typeof RetrainTemplate>;

/** The configured retraining run (TM_RETRAIN_DATA, TM_RETRAIN_SCHEMA): the schedule's template and the API's defaults. */
export async function retrainTemplate(config: Config): Promise<RetrainTemplate> {
  const text = await readFile(config.TM_RETRAIN_SCHEMA, 'utf8');
  const modelName = parseDatasetSchema(text, config.TM_RETRAIN_SCHEMA).name;
  return {
    modelName,
    source: sourceFromArg(config.TM_RETRAIN_DATA, modelName),
    schema: parseYaml(text) as Record<string, unknown>,
    timeBudgetSeconds: config.TM_TIME_BUDGET_SECONDS,
  };
}

/**
 * Keeps the retraining job scheduler in line with the configuration: a cron pattern upserts it,
 * none removes it (off unless configured). A scheduler cannot start a flow, so it emits a small
 * kick-off job whose processor enqueues the run.
 */
export async function syncRetrainSchedule(
  queue: Queue,
  schedule?: { cron: string; tz: string; template: RetrainTemplate },
): Promise<'scheduled' | 'off'> {
  if (!schedule) {
    await queue.removeJobScheduler(SCHEDULER_ID);
    return 'off';
  }
  await queue.upsertJobScheduler(
    SCHEDULER_ID,
    { pattern: schedule.cron, tz: schedule.tz },
    { name: 'retrain', data: RetrainTemplate.parse(withoutCredentials(schedule.template)), opts: { removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } } },
  );
  return 'scheduled';
}

/**
 * Processor of kick-off jobs: one run per firing, its id from the firing time (a retry adds nothing
 * twice). The scheduler's template is stored without the data URI's credentials; `source`, the
 * configured one, puts them back when it is the same source (the producer then holds them apart).
 */
export function retrainProcessor(producer: RunProducer, o: { source?: SourceSpec } = {}) {
  return async (job: Job): Promise<{ runId: string }> => {
    const template = RetrainTemplate.parse(job.data);
    const runId = `retrain-${job.timestamp}`;
    const real = o.source && withoutCredentials({ source: o.source }).source;
    const source = real && JSON.stringify(real) === JSON.stringify(template.source) ? o.source! : template.source;
    await producer.enqueue({ ...template, source, runId });
    return { runId };
  };
}
