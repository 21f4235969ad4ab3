import { FamilyResult, withDeadline, type RegisterResult, type RunSpec, type TrainResult } from '../../schema/jobs.js';
import { familiesOf, ingest, register, trainFamily, transform, validate } from './stages.js';
import type { StageDeps } from './stage-deps.js';

/**
 * Runs every stage in this process, in order, with the same stage code the queue workers run.
 * A family that fails is reported; the others still compete.
 */
export async function runLocally(run: RunSpec, deps: StageDeps, onStage?: (stage: string) => void): Promise<RegisterResult> {
  run = withDeadline(run);
  onStage?.('ingest');
  await ingest(run, deps);
  onStage?.('validate');
  await validate(run, deps);
  onStage?.('transform');
  await transform(run, deps);
  const trained: TrainResult = { families: [], failures: [], skipped: [] };
  for (const f of familiesOf(run)) {
    onStage?.(`train-family:${f.kind}`);
    try {
      // One family at a time here: each gets its share of the budget for one slot.
      const r = await trainFamily(run, f.kind, deps, 1);
      if ('skipped' in r) trained.skipped.push(r);
      else trained.families.push(FamilyResult.parse(r));
    } catch (err) {
      trained.failures.push({ family: f.kind, error: (err as Error).message });
    }
  }
  onStage?.('register');
  return register(run, trained, deps);
}
