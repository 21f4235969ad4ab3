/**
 * Lets one message of a kind through every `everyMs` and counts the rest, so a dependency that
 * stays down (Redis refusing, MLflow silent) logs a line a minute instead of thousands.
 */
export function logThrottle(everyMs = 60_000, now: () => number = Date.now) {
  const last = new Map<string, { at: number; suppressed: number }>();
  /** Whether to log this one; `suppressed` is how many of its kind were dropped since the last one logged. */
  return (kind: string): { log: boolean; suppressed: number } => {
    const t = now();
    const seen = last.get(kind);
    if (seen && t - seen.at < everyMs) {
      seen.suppressed++;
      return { log: false, suppressed: seen.suppressed };
    }
    last.set(kind, { at: t, suppressed: 0 });
    return { log: true, suppressed: seen?.suppressed ?? 0 };
  };
}
