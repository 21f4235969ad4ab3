import type { Queue } from 'bullmq';
import { STAGES, type StageName } from '../schema/jobs.js';
import { stageJobId } from './run-jobs.js';

/** A stage job of a run that failed, and why. */
export interface StageFailure {
  stage: StageName;
  reason: string;
}

/** BullMQ's reason for a parent failed by a child (failParentOnFailure): it names the child, not the cause. */
const PROPAGATED = /^child \S+ failed$/;

const chainOrder = (a: StageFailure, b: StageFailure) => STAGES.indexOf(a.stage) - STAGES.indexOf(b.stage);

/**
 * The failure that ended a run: the earliest chain stage that failed for a reason of its own (a
 * validation failure, say), not a parent that only failed because of it. Family jobs fail alone
 * (the others still compete), so they count only when nothing else failed.
 */
export function firstFailure(failures: StageFailure[]): StageFailure | undefined {
  const chain = failures.filter((f) => f.stage !== 'train-family').sort(chainOrder);
  return chain.find((f) => !PROPAGATED.test(f.reason)) ?? chain[0] ?? [...failures].sort(chainOrder)[0];
}

/** "validate failed: <reason>", for headlines. */
export const failureText = (f: StageFailure) => `${f.stage} failed: ${f.reason}`;

/** The failure that ended run `runId`, read from its chain jobs (undefined while none failed, or once retention dropped them). */
export async function runFailure(queues: Record<StageName, Pick<Queue, 'getJob'>>, runId: string): Promise<StageFailure | undefined> {
  const chain = STAGES.filter((s) => s !== 'train-family');
  const jobs = await Promise.all(chain.map((stage) => queues[stage].getJob(stageJobId(runId, stage))));
  const failures = chain.flatMap((stage, i) => (jobs[i]?.failedReason ? [{ stage, reason: jobs[i].failedReason }] : []));
  return firstFailure(failures);
}
