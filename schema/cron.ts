import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod';

/** Why a cron pattern (5 or 6 fields, as BullMQ's job schedulers read it) in a time zone is unusable, or undefined. */
export function cronProblem(pattern: string, tz = 'UTC'): string | undefined {
  try {
    CronExpressionParser.parse(pattern, { tz }).next();
    return undefined;
  } catch (err) {
    return `"${pattern}" in time zone ${tz} is not a cron pattern: ${(err as Error).message}`;
  }
}

/** A cron pattern such as "0 3 * * *" (checked in UTC; the time zone is checked with it where both are known). */
export const CronPattern = z
  .string()
  .trim()
  .min(1)
  .superRefine((v, ctx) => {
    const problem = cronProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/** An IANA time zone name such as "UTC" or "Europe/Paris". */
export const TimeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'must be an IANA time zone such as UTC or Europe/Paris');
