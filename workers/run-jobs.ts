import { createHash, randomUUID } from 'node:crypto';
import type { Job, Queue } from 'bullmq';
import type { ArtifactStore } from '../core/ports/artifact-store.js';
import { runKeys } from '../core/pipeline/run-keys.js';
import { STAGES, type StageName } from '../schema/jobs.js';

/**
 * The one owner of run ids, job ids and run listing. BullMQ job ids must not contain ':' nor be
 * all digits; ids derive from the run, so an enqueue retried after a crash adds nothing twice.
 *   run        run-20260101-120000-a1b2c3 (CLI, API), retrain-<kick-off job time> (schedule),
 *              feedback-<monitor window id>-<model> (a drift alert's retraining)
 *   stage job  <runId>-<stage>, a family's <runId>-train-family-<family>
 *   batch job  <batchId>-batch, a chunk's <batchId>-chunk-<n>
 */

/** A new run id: prefix, UTC time, a random suffix. */
export function newRunId(prefix = 'run'): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${prefix}-${stamp}-${randomUUID().slice(0, 6)}`;
}

/** The run a scheduled kick-off job starts: the same id when the kick-off job is retried. */
export const scheduledRunId = (kickOffTimestamp: number) => `retrain-${kickOffTimestamp}`;

/**
 * The run a monitor window's alert starts with its feedback rows: one per model and window, so a
 * retried call starts nothing twice. A model name too long for a run id is replaced by its hash.
 */
export function feedbackRunId(model: string, windowId: string): string {
  const id = `feedback-${windowId}-${model}`;
  return id.length <= 81 ? id : `feedback-${windowId}-${createHash('sha256').update(model).digest('hex').slice(0, 16)}`;
}

/** A stage job's id; `family` for a train-family job. */
export const stageJobId = (runId: string, stage: StageName, family?: string) => (family ? `${runId}-${stage}-${family}` : `${runId}-${stage}`);

/** Whether a job id belongs to run `runId`. */
export const isJobOfRun = (jobId: string, runId: string) => jobId.startsWith(`${runId}-`);

/** The family of a train-family job, from its id or its queue key (`<prefix>:train-family:<id>`); undefined for another job. */
export const familyOfJob = (idOrKey: string): string | undefined => /-train-family-([^:]+)$/.exec(idOrKey)?.[1];

/** A batch's parent job id, or its chunk's. */
export const batchJobId = (batchId: string, chunk?: number) => (chunk === undefined ? `${batchId}-batch` : `${batchId}-chunk-${chunk}`);

/**
 * The jobs of a run that exist now, in stage order: each chain stage's by id, and the family jobs
 * the train job fanned out (its children), read from that job, never by scanning a queue.
 */
export async function runJobs(queues: Record<StageName, Pick<Queue, 'getJob'>>, runId: string): Promise<{ stage: StageName; job: Job }[]> {
  const chain: StageName[] = STAGES.filter((s) => s !== 'train-family');
  const jobs = await Promise.all(chain.map((stage) => queues[stage].getJob(stageJobId(runId, stage))));
  const found: { stage: StageName; job: Job }[] = chain.flatMap((stage, i) => (jobs[i] ? [{ stage, job: jobs[i] }] : []));
  const train = jobs[chain.indexOf('train')];
  if (!train) return found;
  const deps = await train.getDependencies();
  const keys = [...Object.keys(deps.processed ?? {}), ...(deps.unprocessed ?? []), ...(deps.failed ?? []), ...Object.keys(deps.ignored ?? {})];
  const families = [...new Set(keys.map(familyOfJob).filter((f): f is string => f !== undefined))].sort();
  const familyJobs = await Promise.all(families.map((f) => queues['train-family'].getJob(stageJobId(runId, 'train-family', f))));
  for (const job of familyJobs) if (job) found.push({ stage: 'train-family', job });
  return found;
}

// Each run has a `runs/<id>/` folder in the artifact store.
const runIdsIn = (keys: string[]) => [...new Set(keys.map((k) => k.split('/')[1]))];

/** Ids of the runs in the artifact store, in listing order. */
export async function storedRunIds(store: ArtifactStore): Promise<string[]> {
  return runIdsIn(await store.list('runs/'));
}

/** The runs in the artifact store, with whether each finished (metrics stored) or was cancelled. */
export async function listRuns(store: ArtifactStore): Promise<{ runId: string; finished: boolean; cancelled: boolean }[]> {
  const keys = await store.list('runs/');
  const present = new Set(keys);
  return runIdsIn(keys).map((runId) => ({ runId, finished: present.has(runKeys(runId).metrics), cancelled: present.has(runKeys(runId).cancelled) }));
}
