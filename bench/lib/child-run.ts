import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { watchTreeRss, type ProcessPeak } from './process-tree-rss.js';

export interface ChildRun {
  code: number | null;
  /** Set when the time bound killed it. */
  timedOut: boolean;
  wallSeconds: number;
  /** Peak summed RSS of the child's process tree, bytes. */
  peakRss: number;
  /** Each process of the tree with its own peak and its RSS at the tree's peak, biggest first. */
  processes: ProcessPeak[];
  stdout: string;
}

export interface ChildOptions {
  env?: NodeJS.ProcessEnv;
  /** Killed (with its process group) after this many seconds. Default 3,600. */
  timeoutSeconds?: number;
  /** File that receives the child's stderr. Default: this process's stderr. */
  stderrFile?: string;
  cwd?: string;
}

/** Process groups still running, killed if this process is stopped (they would outlive it). */
const live = new Set<number>();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const group of live) killGroup(group);
    process.exit(130);
  });
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // The group is already gone.
  }
}

/**
 * Runs a command in its own process group, collecting stdout, timing it and sampling the RSS of
 * its whole process tree (sandboxed children included).
 */
export function runChild(command: string, args: string[], opts: ChildOptions = {}): Promise<ChildRun> {
  const started = performance.now();
  const child = spawn(command, args, { cwd: opts.cwd, env: opts.env ?? process.env, detached: true, stdio: ['ignore', 'pipe', opts.stderrFile ? 'pipe' : 'inherit'] });
  if (opts.stderrFile && child.stderr) child.stderr.pipe(createWriteStream(opts.stderrFile));
  live.add(child.pid!);
  const rss = watchTreeRss(child.pid!);
  let stdout = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  let timedOut = false;
  const timer = setTimeout(
    () => {
      timedOut = true;
      killGroup(child.pid!);
    },
    (opts.timeoutSeconds ?? 3600) * 1000,
  );
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      // Whatever the command left running in its group (a sandboxed family process) goes too.
      killGroup(child.pid!);
      live.delete(child.pid!);
      const { peak, processes } = rss.stop();
      resolve({ code, timedOut, wallSeconds: (performance.now() - started) / 1000, peakRss: peak, processes, stdout });
    });
  });
}

/** The last line of `text` that parses as a JSON object, or undefined. */
export function lastJsonLine<T>(text: string): T | undefined {
  const lines = text.trim().split('\n').reverse();
  for (const line of lines) {
    if (!line.startsWith('{')) continue;
    try {
      return JSON.parse(line) as T;
    } catch {
      // Not JSON after all: keep looking.
    }
  }
  return undefined;
}
