import { Queue, WaitingChildrenError, type Job } from 'bullmq';
import type { StageDeps } from '../core/pipeline/stage-deps.js';
import { familiesOf, ingest, register, trainFamily, transform, validate } from '../core/pipeline/stages.js';
import { JOBS, TrainFamilyResult, type RunSpec, TrainResult, type FamilyResult, type SkippedFamily, type StageName, type StagePayload, type StageResult } from '../schema/jobs.js';
import { rethrowForQueue } from './job-errors.js';
import { QUEUE_OF, jobOptionsFor } from './queues.js';
import { familyOfJob } from './run-jobs.js';

/** What a processor may use besides the job: the stage dependencies and the queues it adds jobs to. */
export interface ProcessorContext {
  deps: StageDeps;
  queue(name: string): Queue;
  /** The run with the real data URI when its credentials are held apart (see run-secrets); default: as is. */
  releaseSecrets?(run: RunSpec): Promise<RunSpec>;
}

type Handler<S extends StageName> = (payload: StagePayload<S>, job: Job, token: string | undefined, ctx: ProcessorContext) => Promise<StageResult<S>>;

/** One handler per stage; `satisfies` makes a missing or mistyped stage a compile error. */
export const handlers = {
  ingest: async ({ run }, _job, _token, { deps, releaseSecrets }) => ingest(releaseSecrets ? await releaseSecrets(run) : run, deps),
  validate: ({ run }, _job, _token, { deps }) => validate(run, deps),
  transform: ({ run }, _job, _token, { deps }) => transform(run, deps),
  'train-family': ({ run, family }, _job, _token, { deps }) => trainFamily(run, family, deps),
  train: trainFanOut,
  register: async ({ run }, job, _token, { deps }) => {
    const [trained] = Object.values(await job.getChildrenValues());
    return register(run, TrainResult.parse(trained), deps);
  },
} satisfies { [S in StageName]: Handler<S> };

/**
 * Fans out one train-family child per model family (ids derived from the run, so a retry adds
 * nothing twice), waits for them, then gathers their results and their reported failures.
 */
async function trainFanOut({ run, requestId }: StagePayload<'train'>, job: Job, token: string | undefined, { queue }: ProcessorContext): Promise<TrainResult> {
  if (job.data.step !== 'wait') {
    const families = familiesOf(run);
    await queue(QUEUE_OF['train-family']).addBulk(
      families.map((f) => ({
        name: 'train-family',
        data: requestId ? { run, family: f.kind, requestId } : { run, family: f.kind },
        opts: { ...jobOptionsFor('train-family', run, f.kind), parent: { id: job.id!, queue: job.queueQualifiedName } },
      })),
    );
    await job.updateData({ ...job.data, step: 'wait' });
  }
  if (await job.moveToWaitingChildren(token!)) throw new WaitingChildrenError();
  const values = Object.values(await job.getChildrenValues());
  const failed = await job.getIgnoredChildrenFailures();
  const results = values.flatMap((v) => {
    const r = TrainFamilyResult.safeParse(v);
    return r.success ? [r.data] : [];
  });
  return {
    families: results.filter((r): r is FamilyResult => !('skipped' in r)),
    failures: Object.entries(failed).map(([key, error]) => ({ family: familyOfJob(key) ?? key, error })),
    skipped: results.filter((r): r is SkippedFamily => 'skipped' in r),
  };
}

/** The part of a BullMQ job (in-process or sandboxed) that stage processors use. */
export interface StageJob {
  data: unknown;
  updateProgress(progress: number | object): Promise<unknown>;
}

/**
 * Runs a stage handler for a job: parses the payload with the catalogue's schema (Redis hands
 * back untyped JSON), reports progress on the job, and turns errors that retrying cannot fix into
 * UnrecoverableError so no attempt is wasted.
 */
export async function runStage<S extends StageName>(
  stage: S,
  job: StageJob,
  deps: StageDeps,
  run: (payload: StagePayload<S>, deps: StageDeps) => Promise<StageResult<S>>,
): Promise<StageResult<S>> {
  try {
    const payload = JOBS[stage].payload.parse(job.data) as StagePayload<S>;
    // With a deadline, progress is { percent, secondsLeft } (follow and the API show the time left).
    const onProgress = (percent: number, secondsLeft?: number) => void job.updateProgress(secondsLeft === undefined ? percent : { percent, secondsLeft }).catch(() => undefined);
    return await run(payload, { ...deps, onProgress });
  } catch (err) {
    rethrowForQueue(err);
  }
}

/** The in-process BullMQ processor of a stage. */
export function processorFor<S extends StageName>(stage: S, ctx: ProcessorContext) {
  const handler = handlers[stage] as unknown as Handler<S>;
  return (job: Job, token?: string): Promise<StageResult<S>> => runStage(stage, job, ctx.deps, (payload, deps) => handler(payload, job, token, { ...ctx, deps }));
}
