import { readdirSync, readFileSync } from 'node:fs';

/** Resident memory of a process (bytes), 0 when it is gone. */
function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Parent of every live process, from /proc/<pid>/stat (field 4; the name in field 2 may hold spaces). */
function parents(): Map<number, number> {
  const out = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      out.set(Number(name), ppid);
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}

/** Summed RSS of `root` and all its descendants now (bytes). */
export function treeRss(root: number): number {
  const parentOf = parents();
  const tree = new Set([root]);
  // Descendants appear after their parents in most scans, but not always: repeat until stable.
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of parentOf) {
      if (tree.has(pid) || !tree.has(ppid)) continue;
      tree.add(pid);
      grew = true;
    }
  }
  let sum = 0;
  for (const pid of tree) sum += rssOf(pid);
  return sum;
}

/**
 * Samples the process tree under `root` every `everyMs` (default 250) and keeps the peak of the
 * summed RSS; Linux only (/proc). Shared pages count once per process, so the figure errs high.
 */
export function watchTreeRss(root: number, everyMs = 250): { stop(): number } {
  let peak = treeRss(root);
  const timer = setInterval(() => (peak = Math.max(peak, treeRss(root))), everyMs);
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}
