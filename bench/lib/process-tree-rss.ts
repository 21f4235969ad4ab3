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

/**
 * What a process is, from its command line: the sandboxed family child, the threatmatrix CLI /
 * worker, or the script it runs (basename), else the program's name.
 */
export function roleOf(pid: number): string {
  let argv: string[];
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return 'gone';
  }
  const joined = argv.join(' ');
  if (/family-child/.test(joined)) return 'family child';
  if (/threatmatrix\.mjs|workers\/cli\//.test(joined)) return `threatmatrix ${argv.find((s) => /^(train|worker|start)$/.test(s)) ?? ''}`.trim();
  const script = argv.slice(1).find((s) => /\.(m?[jt]s|py)$/.test(s));
  const base = (s: string) => s.slice(s.lastIndexOf('/') + 1);
  return script ? base(script) : base(argv[0] ?? 'unknown');
}

/** `root` and all its live descendants. */
function treeOf(root: number): Set<number> {
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
  return tree;
}

/** Summed RSS of `root` and all its descendants now (bytes). */
export function treeRss(root: number): number {
  let sum = 0;
  for (const pid of treeOf(root)) sum += rssOf(pid);
  return sum;
}

/** One process's peak in a watched tree. */
export interface ProcessPeak {
  pid: number;
  role: string;
  /** Its own peak RSS, bytes. */
  peakRss: number;
  /** Its RSS at the moment the tree's sum peaked (0 if it was not running then). */
  atTreePeak: number;
}

export interface TreeRssReport {
  /** Peak of the summed RSS, bytes. */
  peak: number;
  /** Every process seen, biggest own peak first. */
  processes: ProcessPeak[];
}

/**
 * Samples the process tree under `root` every `everyMs` (default 250) and keeps the peak of the
 * summed RSS and each process's own peak (with its role); Linux only (/proc). Shared pages count
 * once per process, so the sum errs high.
 */
export function watchTreeRss(root: number, everyMs = 250): { stop(): TreeRssReport } {
  const seen = new Map<number, ProcessPeak>();
  let peak = 0;
  const sample = () => {
    const now = new Map<number, number>();
    let sum = 0;
    for (const pid of treeOf(root)) {
      const rss = rssOf(pid);
      if (!rss) continue;
      now.set(pid, rss);
      sum += rss;
      let p = seen.get(pid);
      if (!p) seen.set(pid, (p = { pid, role: roleOf(pid), peakRss: 0, atTreePeak: 0 }));
      // A process seen between fork and exec has no command line yet: look again.
      else if (p.role === 'unknown') p.role = roleOf(pid);
      p.peakRss = Math.max(p.peakRss, rss);
    }
    if (sum > peak) {
      peak = sum;
      for (const p of seen.values()) p.atTreePeak = now.get(p.pid) ?? 0;
    }
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return { peak, processes: [...seen.values()].sort((x, y) => y.peakRss - x.peakRss) };
    },
  };
}
