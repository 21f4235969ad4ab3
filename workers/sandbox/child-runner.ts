import { fork, type ChildProcess } from 'node:child_process';
import { UnrecoverableError, type Job } from 'bullmq';
import { PARENT_WATCH_IMPORT } from './orphan-watch.js';

/** Messages between a job's parent worker and its child process. */
export type ToChild = { type: 'start'; data: unknown };
/** `progress`: a percentage, or `{ percent, secondsLeft }` from a search with a deadline (as the job shows it). */
export type FromChild = { type: 'progress'; progress: number | object } | { type: 'done'; value: unknown } | { type: 'failed'; name: string; message: string };

export interface ChildRunner {
  /** A BullMQ processor: runs the job in a child process, killed when the job is cancelled. */
  process(job: Job, token?: string, signal?: AbortSignal): Promise<unknown>;
  /** Kills every child, busy or idle (a worker's close: nothing is left behind). */
  killAll(): void;
}

/**
 * Runs jobs in child processes forked from `entry`, in place of BullMQ's sandbox: BullMQ's
 * children wait out SIGTERM until their job ends, and its cancel only reaches the job's own code,
 * which a CPU-bound grid search cannot check. Here a cancelled job's process is killed (SIGKILL),
 * so it stops at once and leaves no orphan. A child that finished its job is kept for the next
 * one (loading the models costs seconds). `cancelledWhy` names the error a killed job fails with.
 */
export function childRunner(entry: URL, cancelledWhy: (job: Job) => Promise<string | undefined>): ChildRunner {
  const all = new Set<ChildProcess>();
  const idle: ChildProcess[] = [];
  // Each child leads its own process group (detached), so killing the group also ends any process
  // the child started; Ctrl-C in a terminal no longer reaches it, the worker decides (see family-child).
  const kill = (child: ChildProcess) => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
  };
  const spawnChild = () => {
    // --expose-gc: an idle child collects its last job's garbage (a dataset, folds, matrices)
    // before it waits; without allocations nothing else would, and it would hold them meanwhile.
    const child = fork(entry, [], { execArgv: [...process.execArgv, '--expose-gc', '--import', PARENT_WATCH_IMPORT], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'], detached: true });
    all.add(child);
    child.once('exit', () => {
      all.delete(child);
      const at = idle.indexOf(child);
      if (at >= 0) idle.splice(at, 1);
    });
    return child;
  };
  return {
    killAll() {
      for (const c of all) kill(c);
    },
    process(job, _token, signal) {
      const child = idle.pop() ?? spawnChild();
      const stop = () => kill(child);
      signal?.addEventListener('abort', stop, { once: true });
      return new Promise<unknown>((resolve, reject) => {
        const settle = (reuse: boolean) => {
          child.off('message', onMessage).off('exit', onExit);
          signal?.removeEventListener('abort', stop);
          if (reuse && child.exitCode === null && child.signalCode === null) idle.push(child);
        };
        const onMessage = (m: FromChild) => {
          if (m.type === 'progress') return void job.updateProgress(m.progress).catch(() => undefined);
          settle(true);
          if (m.type === 'done') resolve(m.value);
          else reject(Object.assign(new Error(m.message), { name: m.name }));
        };
        const onExit = (code: number | null, sig: NodeJS.Signals | null) => {
          settle(false);
          // A killed child of a cancelled run fails its job for good; another death may be retried.
          void cancelledWhy(job).then(
            (why) => reject(why ? new UnrecoverableError(why) : new Error(`the training process exited (${sig ?? `code ${code}`}) before finishing`)),
            reject,
          );
        };
        child.on('message', onMessage).on('exit', onExit);
        child.send({ type: 'start', data: job.data } satisfies ToChild);
      });
    },
  };
}
