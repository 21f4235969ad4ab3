import type { Logger } from 'pino';

export interface GuardOptions {
  /** Faults tolerated within `windowMs` before the process exits (a fault loop is not serving). Default 20. */
  maxFaults?: number;
  /** Default 60,000. */
  windowMs?: number;
  /** Called instead of exiting when the limit is passed (tests). Default process.exit(70). */
  exit?: (code: number) => void;
}

/**
 * For long-running commands (start, serve, worker): an error that escaped every handler (an
 * unhandled rejection, an 'error' event nobody listened to) is logged and the process keeps
 * serving, since its jobs are retried or failed by BullMQ and its requests are independent. A
 * burst of faults means something is broken for good: then it exits non-zero, to be restarted.
 * Returns a function that removes the handlers.
 */
export function keepServingOnFaults(log: Logger, o: GuardOptions = {}): () => void {
  const maxFaults = o.maxFaults ?? 20;
  const windowMs = o.windowMs ?? 60_000;
  const exit = o.exit ?? ((code: number) => process.exit(code));
  let times: number[] = [];
  const fault = (kind: string) => (err: unknown) => {
    const now = Date.now();
    times = times.filter((t) => now - t < windowMs);
    times.push(now);
    const e = err instanceof Error ? err : new Error(String(err));
    log.error({ err: { name: e.name, message: e.message, stack: e.stack } }, `${kind}: logged, still serving`);
    if (times.length > maxFaults) {
      log.fatal({ faults: times.length, windowMs }, 'too many uncaught faults: exiting');
      exit(70);
    }
  };
  const onRejection = fault('unhandled rejection');
  const onException = fault('uncaught exception');
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return () => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  };
}
