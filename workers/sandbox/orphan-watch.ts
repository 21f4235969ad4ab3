/**
 * A module for a child's `--import`: it ends the child within about a second once its parent is
 * gone. It runs before the child's own code loads (seconds on a loaded machine) and on a thread
 * of its own, since a long fit holds the main thread for minutes ('disconnect' never fires). A
 * child forked as the leader of its own process group (childRunner does) takes the whole group
 * with it: any process it started dies too. A data: URL, so built and source runs need no file.
 */
const WATCH = `
import { Worker } from 'node:worker_threads';
new Worker(\`
  const { readFileSync } = require('node:fs');
  const ppid = \${process.ppid};
  // pgrp is the 3rd field after the command's closing ')' in /proc/self/stat (Linux).
  const leader = () => { try { const s = readFileSync('/proc/self/stat', 'utf8'); return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[2]) === process.pid; } catch { return false; } };
  const target = leader() ? -process.pid : process.pid;
  setInterval(() => { if (process.ppid !== ppid) process.kill(target, 'SIGKILL'); }, 250);
\`, { eval: true }).unref();
`;

export const PARENT_WATCH_IMPORT = `data:text/javascript,${encodeURIComponent(WATCH)}`;
