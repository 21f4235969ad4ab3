import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { Config } from '../../schema/config.js';
import type { MonitorSeries, MonitorWindowSummary } from '../../schema/monitoring.js';
import { apiTarget } from './api-target.js';

/**
 * How far back `--follow` looks for windows it has not printed: a window shows up when it overlaps
 * the last hour, so one the monitor writes up to an hour after it closed is still printed.
 */
const FOLLOW_LOOKBACK_MS = 3_600_000;

/** One call to the API, answer included (the monitor reads at most 2,000 windows a call). */
const REQUEST_TIMEOUT_MS = 60_000;

export interface MonitorIo {
  out: { write(s: string): unknown };
  err: { write(s: string): unknown };
  /** Ends `--follow` (as Ctrl-C does). */
  stop?: AbortSignal;
}

const USAGE = 'usage: threatmatrix monitor [--model name] [--from t] [--to t] [--limit n] [--follow [--every seconds]] [--json] [--url http://host:port] [--key api-key]\n  t: Unix ms or ISO 8601 (default: the last 24 hours)\n';

class Refused extends Error {}

/**
 * `threatmatrix monitor`: a model's monitored windows through GET /v1/monitoring/{model}, as a table
 * (or JSON); `--follow` then polls every `--every` seconds (default 10) and prints windows as the
 * monitor writes them, until Ctrl-C (exit 0).
 */
export async function monitorCommand(argv: string[], config: Config, io: MonitorIo = { out: process.stdout, err: process.stderr }): Promise<number> {
  let a;
  try {
    a = parseArgs({
      args: argv,
      options: {
        model: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        limit: { type: 'string' },
        follow: { type: 'boolean', short: 'f' },
        every: { type: 'string' },
        json: { type: 'boolean' },
        url: { type: 'string' },
        key: { type: 'string' },
      },
    }).values;
  } catch (err) {
    io.err.write(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const everyMs = Number(a.every ?? 10) * 1000;
  if (!(everyMs >= 1000 && everyMs <= 3_600_000)) {
    io.err.write(`--every must be 1 to 3600 seconds\n${USAGE}`);
    return 2;
  }
  if (a.follow && a.to !== undefined) {
    io.err.write(`--follow prints windows as they come: it takes no --to\n${USAGE}`);
    return 2;
  }
  // The monitoring routes need an admin key (as GET /v1/models).
  const target = apiTarget(config, a, 'admin');
  const key = target.key;
  const model = a.model ?? config.TM_MODEL_NAME;
  const base = `${target.base}/v1/monitoring/${encodeURIComponent(model)}`;

  const get = async (span: { from?: string; to?: string }, signal?: AbortSignal): Promise<MonitorSeries> => {
    const q = new URLSearchParams(Object.entries({ ...span, limit: a.limit }).filter((e): e is [string, string] => e[1] !== undefined));
    let res: Response;
    let body: MonitorSeries & { error?: { message: string } };
    try {
      res = await fetch(`${base}${q.size ? `?${q}` : ''}`, {
        headers: key ? { authorization: `Bearer ${key}` } : {},
        signal: AbortSignal.any([AbortSignal.timeout(REQUEST_TIMEOUT_MS), ...(signal ? [signal] : [])]),
      });
      body = (await res.json().catch(() => undefined)) as typeof body;
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new Refused(`cannot reach the API at ${base}: ${(err as Error).cause ? String((err as { cause: unknown }).cause) : (err as Error).message}`);
    }
    if (!res.ok) throw new Refused(`refused (${res.status}): ${body?.error?.message ?? res.statusText}`);
    if (!Array.isArray(body?.windows)) throw new Refused(`${base} did not answer with windows (is --url a threatmatrix API?)`);
    return body;
  };

  let first: MonitorSeries;
  try {
    first = await get({ from: a.from, to: a.to });
  } catch (err) {
    if (!(err instanceof Refused)) throw err;
    io.err.write(`${err.message}\n`);
    return 1;
  }
  if (a.json && !a.follow) {
    io.out.write(`${JSON.stringify(first)}\n`);
    return 0;
  }
  const print = (w: MonitorWindowSummary) => io.out.write(`${a.json ? JSON.stringify(w) : windowLine(w)}\n`);
  if (!a.json) io.out.write(`${HEADER}\n`);
  first.windows.forEach(print);
  if (!a.json && first.truncated) io.err.write(`${first.total - first.windows.length} older windows not shown (narrow --from/--to or raise --limit)\n`);
  if (!a.json && !first.windows.length) io.err.write(`no windows of ${model} from ${new Date(first.fromMs).toISOString()} to ${new Date(first.toMs).toISOString()}\n`);
  if (!a.follow) return 0;

  // --follow: until Ctrl-C (or `io.stop`), print the windows not printed yet.
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  io.stop?.addEventListener('abort', onSignal, { once: true });
  const printed = new Map(first.windows.map((w) => [w.id, w.toMs]));
  const firstFrom = first.fromMs;
  try {
    while (!stop.signal.aborted) {
      await sleep(everyMs, undefined, { signal: stop.signal }).catch(() => undefined);
      if (stop.signal.aborted) break;
      const since = Math.max(firstFrom, Date.now() - FOLLOW_LOOKBACK_MS);
      try {
        const next = await get({ from: String(since) }, stop.signal);
        for (const w of next.windows) {
          if (printed.has(w.id)) continue;
          printed.set(w.id, w.toMs);
          print(w);
        }
      } catch (err) {
        if (stop.signal.aborted) break;
        if (!(err instanceof Refused)) throw err;
        // A restarting API: keep polling.
        io.err.write(`${err.message} (retrying in ${everyMs / 1000} s)\n`);
      }
      // Windows that ended before the look-back cannot come back: forget them (the set stays bounded).
      for (const [id, toMs] of printed) if (toMs <= since) printed.delete(id);
    }
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
  return 0;
}

const COLUMNS: [string, number][] = [
  ['time (UTC)', 19],
  ['span', 6],
  ['version', 7],
  ['rows', 9],
  ['drift', 6],
  ['est. F1 ±', 14],
  ['realised F1 (coverage)', 22],
  ['alerts', 0],
];
const row = (cells: string[]) =>
  cells
    .map((c, i) => (i === cells.length - 1 ? c : i === 3 ? c.padStart(COLUMNS[i][1]) : c.padEnd(COLUMNS[i][1])))
    .join('  ')
    .trimEnd();
const HEADER = row(COLUMNS.map(([name]) => name));

const fixed = (x: number | null, digits = 3) => (x === null ? '-' : x.toFixed(digits));

/** 300000 -> "5m", 3600000 -> "1h", 90000 -> "90s". */
function spanText(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s % 3600 === 0) return `${s / 3600}h`;
  if (s % 60 === 0) return `${s / 60}m`;
  return `${s}s`;
}

/** One window as a table row: time, span, version, rows, drift share, estimated F1 ± (95 %), realised F1 (coverage), alerts. */
export function windowLine(w: MonitorWindowSummary): string {
  const est = w.estimatedF1;
  const half = est.value === null || est.se === null ? null : 1.96 * est.se;
  const real = w.realised;
  const alerts = w.alerts.length ? w.alerts.map((r) => r.rule).join(',') : '-';
  const action = w.action ? ` -> retrain ${w.action.runId} (${w.action.feedbackRows} feedback rows)` : '';
  return row([
    new Date(w.fromMs).toISOString().slice(0, 19).replace('T', ' '),
    spanText(w.toMs - w.fromMs),
    `v${w.version}`,
    w.rows.toLocaleString('en-US'),
    fixed(w.driftShare, 2),
    est.value === null ? '-' : `${fixed(est.value)} ± ${fixed(half)}`,
    real ? `${fixed(real.f1)} (${real.coverage === null ? '-' : `${(100 * real.coverage).toFixed(1)} %`})` : '-',
    `${alerts}${action}`,
  ]);
}
