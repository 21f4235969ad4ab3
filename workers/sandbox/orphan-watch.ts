import { Worker } from 'node:worker_threads';

/**
 * Ends this process within about `everyMs` once its parent is gone. A child's 'disconnect' event
 * needs its main thread, which a grid search can hold for minutes; this check runs on a thread of
 * its own, so a worker killed with SIGKILL leaves no training process behind for long. A child
 * forked as the leader of its own process group (childRunner does) takes the whole group with it:
 * any process it started dies too.
 */
export function exitWithParent(everyMs = 1_000): void {
  const code = `
    const { workerData } = require('node:worker_threads');
    const { readFileSync } = require('node:fs');
    // pgrp is the 3rd field after the command's closing ')' in /proc/self/stat (Linux).
    const leader = () => { try { const s = readFileSync('/proc/self/stat', 'utf8'); return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[2]) === process.pid; } catch { return false; } };
    const target = leader() ? -process.pid : process.pid;
    setInterval(() => { if (process.ppid !== workerData.ppid) process.kill(target, 'SIGKILL'); }, workerData.everyMs);
  `;
  new Worker(code, { eval: true, workerData: { ppid: process.ppid, everyMs } }).unref();
}
