import { fork, type ChildProcess } from 'node:child_process';
import { UnrecoverableError, type Job } from 'bullmq';

/** Messages between a job's parent worker and its child process. */
export type ToChild = { type: 'start'; data: unknown };
export type FromChild = { type: 'progress'; percent: number } | { type: 'done'; value: unknown } | { type: 'failed'; name: string; message: string };

export interface ChildRunner {
  /** A BullMQ processor: runs the job in a new child process, killed when the job is cancelled. */
  process(job: Job, token?: string, signal?: AbortSignal): Promise<unknown>;
  /** Kills every child still running (a worker's hard close: nothing is left behind). */
  killAll(): void;
  /** Children running now. */
  readonly running: number;
}

/**
 * Runs each job in its own child process (one per job, forked from `entry`), in place of BullMQ's
 * sandbox: BullMQ's children wait out SIGTERM until their job ends and its cancel only reaches the
 * job's own code, which a CPU-bound grid search cannot check; here a cancelled job's process is
 * killed (SIGKILL), so it stops at once and leaves no orphan. `onCancelled` names the error a
 * killed job fails with.
 */
export function childRunner(entry: URL, onCancelled: (job: Job) => Promise<string | undefined>): ChildRunner {
  const children = new Set<ChildProcess>();
  return {
    get running() {
      return children.size;
    },
    killAll() {
      for (const c of children) c.kill('SIGKILL');
    },
    process(job, _token, signal) {
      const child = fork(entry, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      children.add(child);
      const stop = () => child.kill('SIGKILL');
      signal?.addEventListener('abort', stop, { once: true });
      return new Promise<unknown>((resolve, reject) => {
        let settled = false;
        child.on('message', (m: FromChild) => {
          if (m.type === 'progress') return void job.updateProgress(m.percent).catch(() => undefined);
          settled = true;
          if (m.type === 'done') resolve(m.value);
          else reject(Object.assign(new Error(m.message), { name: m.name }));
        });
        child.once('error', reject);
        child.once('exit', (code, sig) => {
          children.delete(child);
          signal?.removeEventListener('abort', stop);
          if (settled) return;
          // A killed child of a cancelled run fails its job for good; another death may be retried.
          void onCancelled(job).then(
            (why) => reject(why ? new UnrecoverableError(why) : new Error(`the training process exited (${sig ?? `code ${code}`}) before finishing`)),
            reject,
          );
        });
        child.send({ type: 'start', data: job.data } satisfies ToChild);
      });
    },
  };
}
