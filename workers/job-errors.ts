import { UnrecoverableError, WaitingChildrenError } from 'bullmq';
import { isPermanent } from '../core/errors.js';

/** Rethrows a processor's error so BullMQ spends no retry on one that will fail the same way again. */
export function rethrowForQueue(err: unknown): never {
  if (err instanceof WaitingChildrenError) throw err;
  if (isPermanent(err) || (err as Error)?.name === 'ZodError') throw new UnrecoverableError(`${(err as Error).name}: ${(err as Error).message}`);
  throw err;
}
