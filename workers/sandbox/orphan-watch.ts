import { Worker } from 'node:worker_threads';

/**
 * Ends this process within about `everyMs` once its parent is gone. A child's 'disconnect' event
 * needs its main thread, which a grid search can hold for minutes; this check runs on a thread of
 * its own, so a worker killed with SIGKILL leaves no training process behind for long.
 */
export function exitWithParent(everyMs = 1_000): void {
  const code = `
    const { workerData } = require('node:worker_threads');
    setInterval(() => { if (process.ppid !== workerData.ppid) process.kill(process.pid, 'SIGKILL'); }, workerData.everyMs);
  `;
  new Worker(code, { eval: true, workerData: { ppid: process.ppid, everyMs } }).unref();
}
