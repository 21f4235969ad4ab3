import { readFile } from 'node:fs/promises';
import { Queue, type Job } from 'bullmq';
import type { RedisClient } from './redis-connection.js';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { parseDatasetSchema, type Config } from '../schema/index.js';
import { cronProblem } from '../schema/cron.js';
import { RunSpec, SourceSpec } from '../schema/jobs.js';
import { withoutCredentials } from '../core/security/redact.js';
import { sourceFromArg } from '../schema/source-arg.js';
import type { RunProducer } from './flow.js';
import { scheduledRunId } from './run-jobs.js';

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

/** The fleet's retraining schedule: when it fires, what each run trains, and who set it. */
export interface RetrainSchedule {
  cron: string;
  tz: string;
  template: RetrainTemplate;
  /** Who set it: `api:<key id>`, `cli:<user>` or `TM_RETRAIN_CRON`. */
  setBy: string;
  setAt: string;
  /** When it fires next (ms since the epoch), as BullMQ computed it. */
  next?: number;
}

/** The kick-off jobs' data: the run template plus who set the schedule (the processor reads the template only). */
const ScheduleData = RetrainTemplate.extend({ setBy: z.string(), setAt: z.string() });

/**
 * Reads and changes the retraining job scheduler. Only explicit requests change it (`threatmatrix
 * schedule`, the admin route); a worker starting with TM_RETRAIN_CRON only creates one where there
 * is none (`seed`). A scheduler cannot start a flow, so it emits a small kick-off job whose
 * processor enqueues the run.
 */
export class RetrainScheduler {
  readonly queue: Queue;
  constructor(connection: RedisClient, prefix: string) {
    this.queue = new Queue(RETRAIN_QUEUE, { connection, prefix });
  }

  async show(): Promise<RetrainSchedule | undefined> {
    const s = await this.queue.getJobScheduler(SCHEDULER_ID);
    const data = ScheduleData.safeParse(s?.template?.data);
    if (!s?.pattern || !data.success) return undefined;
    const { setBy, setAt, ...template } = data.data;
    return { cron: s.pattern, tz: s.tz ?? 'UTC', template, setBy, setAt, next: s.next };
  }

  /** Creates or replaces the schedule; the cron pattern is checked in its time zone first. */
  async set(s: { cron: string; tz: string; template: RetrainTemplate }, setBy: string): Promise<RetrainSchedule> {
    const problem = cronProblem(s.cron, s.tz);
    if (problem) throw new ScheduleError(problem);
    // Stored without the data URI's credentials: the configured source puts them back (retrainProcessor).
    const data = ScheduleData.parse({ ...withoutCredentials(s.template), setBy, setAt: new Date().toISOString() });
    await this.queue.upsertJobScheduler(
      SCHEDULER_ID,
      { pattern: s.cron, tz: s.tz },
      { name: 'retrain', data, opts: { removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } } },
    );
    return (await this.show())!;
  }

  /** Removes the schedule; false when there was none. */
  off(): Promise<boolean> {
    return this.queue.removeJobScheduler(SCHEDULER_ID);
  }

  /** At worker start: creates the schedule from `seed` only when none exists; never replaces or removes one. */
  async seed(seed: { cron: string; tz: string; template: RetrainTemplate } | undefined): Promise<{ state: 'seeded' | 'kept' | 'none'; schedule?: RetrainSchedule }> {
    const current = await this.show();
    if (current) return { state: 'kept', schedule: current };
    if (!seed) return { state: 'none' };
    return { state: 'seeded', schedule: await this.set(seed, 'TM_RETRAIN_CRON') };
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}

/** A schedule request that cannot be honoured (bad cron pattern or time zone). */
export class ScheduleError extends Error {
  override name = 'ScheduleError';
}

/**
 * Processor of kick-off jobs: one run per firing, its id from the firing time (a retry adds nothing
 * twice). The scheduler's template is stored without the data URI's credentials; `source`, the
 * configured one, puts them back when it is the same source (the producer then holds them apart).
 */
export function retrainProcessor(producer: RunProducer, o: { source?: SourceSpec } = {}) {
  return async (job: Job): Promise<{ runId: string }> => {
    const template = RetrainTemplate.parse(job.data);
    const runId = scheduledRunId(job.timestamp);
    const real = o.source && withoutCredentials({ source: o.source }).source;
    const source = real && JSON.stringify(real) === JSON.stringify(template.source) ? o.source! : template.source;
    await producer.enqueue({ ...template, source, runId });
    return { runId };
  };
}
