import type { Family } from './families.js';

/** Thrown when a family's share of the time budget is gone before it could start. */
export class NoTimeLeftError extends Error {
  override name = 'NoTimeLeftError';
  constructor(family: string) {
    super(`${family}: no time left`);
  }
}

/** Seconds a family needs at least to be worth starting: less than this left and it is skipped. */
export const MIN_FAMILY_SECONDS = 2;

/**
 * Time kept back from a run's search for what follows it (scoring the test rows, registering):
 * 5 % of the budget plus a second, so the run as a whole ends within its budget.
 */
export function registerReserveMs(budgetSeconds: number): number {
  return 1000 + budgetSeconds * 50;
}

/**
 * When a family's search (and refit) must end: its weighted share of the time left before the
 * search deadline, with `slots` families searched side by side; undefined when less than
 * MIN_FAMILY_SECONDS would be left (the family is skipped). `pending` is this family and the ones
 * not started yet, in start order. A family that starts late (earlier ones overran) gets less;
 * nothing ends after the search deadline, except that the `first` family always gets at least
 * MIN_FAMILY_SECONDS, so a run always ends with a model.
 */
export function familyDeadline(now: number, searchDeadline: number, pending: Pick<Family, 'weight'>[], slots: number, first = false): number | undefined {
  if (first) searchDeadline = Math.max(searchDeadline, now + MIN_FAMILY_SECONDS * 1000);
  const left = searchDeadline - now;
  if (left < MIN_FAMILY_SECONDS * 1000) return undefined;
  const w = (f: Pick<Family, 'weight'>) => f.weight ?? 1;
  const total = pending.reduce((s, f) => s + w(f), 0);
  // With more slots than pending families, each may use all that is left.
  const share = (left * Math.max(1, Math.min(slots, pending.length)) * w(pending[0])) / total;
  return Math.min(searchDeadline, now + Math.max(share, MIN_FAMILY_SECONDS * 1000));
}
