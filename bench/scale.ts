/**
 * npm run bench:scale [-- --rows 100000,1000000 --classes 2,10 --skip-anchor --steps ingest,fit,train --repeat 3
 *                        --families decision_tree --time-budget 90 --runner cli|local --train-timeout 3600 --out f.json]
 *
 * The data path at scale (issue 11), measured beside Python anchors in the same run, on files from
 * ../shared/tools/make_scale_data.py (generated into bench/out/ when absent):
 * - ingest: `readCsv` rows/s against pandas `read_csv` (each in a fresh process, timing only the
 *   read, in alternating pairs; medians);
 * - fit: one boosting fit at XGBoost's config (`bench/boost-fit.ts --native`, when present) against
 *   ../shared/tools/scale_anchor.py's XGBoost hist and scikit-learn HistGradientBoosting, scored on
 *   the anchor's test rows;
 * - train: the whole default training run as a user runs it, `threatmatrix train --follow` (stage
 *   workers embedded, families sandboxed) on a fresh artifact store and queue prefix, from ingest to
 *   a registered model: wall time and the peak RSS of its whole process tree (`--families` narrows
 *   the search to check the data path alone; the goals about the default run then read "-").
 *   `--runner local` runs the same stages in one process without queues (`npm run train:local`,
 *   core/pipeline/run-locally.ts) instead: no job locks, so a stage that blocks its event loop
 *   longer than BullMQ's lock still completes there.
 * Then a table with the acceptance goals marked met or not. Without ../shared/tools or the Python
 * packages, it says so and runs what needs neither (on data already in bench/out/).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig } from '../schema/index.js';
import { redisConnection } from '../workers/queues.js';
import { lastJsonLine, runChild } from './lib/child-run.js';
import { anchorTestRows, PYTHON, pythonProblem, scaleData } from './lib/scale-data.js';
import { stageTimings, type StageTiming } from './lib/stage-timings.js';
import { fmt, int, table } from './lib/table.js';

const STEPS = ['ingest', 'fit', 'train'] as const;
type Step = (typeof STEPS)[number];

const { values: a } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000,1000000' },
    classes: { type: 'string', default: '2,10' },
    'skip-anchor': { type: 'boolean', default: false },
    steps: { type: 'string', default: STEPS.join(',') },
    repeat: { type: 'string', default: '3' },
    'train-timeout': { type: 'string', default: '3600' },
    families: { type: 'string' },
    'time-budget': { type: 'string' },
    runner: { type: 'string', default: 'cli' },
    out: { type: 'string' },
  },
});

function wholeList(name: string, text: string, min: number): number[] {
  const list = text.split(',').map(Number);
  if (!list.length || list.some((n) => !Number.isInteger(n) || n < min)) throw new Error(`--${name} must be a comma-separated list of whole numbers >= ${min} (got "${text}")`);
  return list;
}
const rowsList = wholeList('rows', a.rows!, 1000);
const classesList = wholeList('classes', a.classes!, 2);
const repeat = wholeList('repeat', a.repeat!, 1)[0];
const trainTimeout = wholeList('train-timeout', a['train-timeout']!, 10)[0];
const steps = a.steps!.split(',') as Step[];
if (a.runner !== 'cli' && a.runner !== 'local') throw new Error(`--runner takes cli or local (got "${a.runner}")`);
for (const s of steps) if (!STEPS.includes(s)) throw new Error(`--steps takes ${STEPS.join(', ')} (got "${s}")`);

const root = fileURLToPath(new URL('..', import.meta.url));
const tools = resolve(root, '../shared/tools');
const outDir = join(root, 'bench/out');
mkdirSync(outDir, { recursive: true });
const log = (line: string) => process.stderr.write(`bench:scale  ${line}\n`);
const pythonMissing = pythonProblem(tools);
if (pythonMissing) log(`NOTE: no Python anchors, no pandas and no data generation: ${pythonMissing}`);
const boostFit = join(root, 'bench/boost-fit.ts');
const tsx = join(root, 'node_modules/.bin/tsx');

const median = (xs: number[]) => {
  const s = xs.slice().sort((x, y) => x - y);
  return s.length ? (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2 : NaN;
};

interface Timed {
  rows: number;
  wallSeconds: number;
  cpuSeconds: number;
}
const PANDAS_READ = [
  'import json, sys, time, pandas as pd',
  'w, c = time.perf_counter(), time.process_time()',
  'df = pd.read_csv(sys.argv[1])',
  'print(json.dumps({"rows": len(df), "wallSeconds": time.perf_counter() - w, "cpuSeconds": time.process_time() - c}))',
].join('\n');

/** Ours and pandas, alternating, each in a fresh process; medians of wall and CPU seconds. */
async function ingest(data: string, schema: string) {
  const ours: Timed[] = [];
  const pandas: Timed[] = [];
  for (let r = 0; r < repeat; r++) {
    const run = await runChild(tsx, [join(root, 'bench/lib/ingest-once.ts'), data, schema]);
    const got = lastJsonLine<Timed & { issues: number }>(run.stdout);
    if (!got) throw new Error(`the ingest child failed (exit ${run.code})`);
    if (got.issues) log(`WARNING: ${got.issues} read issues in ${data}: is the schema right?`);
    ours.push(got);
    if (pythonMissing) continue;
    const pd = lastJsonLine<Timed>((await runChild(PYTHON, ['-c', PANDAS_READ, data])).stdout);
    if (pd) pandas.push(pd);
  }
  const summary = (xs: Timed[]) => (xs.length ? { rows: xs[0].rows, wallSeconds: median(xs.map((x) => x.wallSeconds)), cpuSeconds: median(xs.map((x) => x.cpuSeconds)) } : undefined);
  return { ours: summary(ours), pandas: summary(pandas) };
}

interface BoostFit {
  fitWallSeconds: number;
  fitCpuSeconds: number;
  rocAuc?: number;
  f1?: number;
  predictRowsPerSecond?: number;
  mode?: string;
}

async function fit(data: string, schema: string, tag: string): Promise<BoostFit | { note: string }> {
  if (!existsSync(boostFit)) return { note: 'bench/boost-fit.ts is not in this tree' };
  // Scored on the anchor's own test rows when Python can name them (see anchorTestRows).
  const testRows = pythonMissing ? undefined : anchorTestRows(data, join(outDir, `test-rows-${tag}.json`));
  if (!testRows) log(`${tag}: boosting fit on its own split (not the anchor's test rows)`);
  const run = await runChild(tsx, [boostFit, '--data', data, '--schema', schema, '--native', ...(testRows ? ['--test-rows', testRows] : [])], { timeoutSeconds: trainTimeout });
  return lastJsonLine<BoostFit>(run.stdout) ?? { note: `boost-fit printed no result (exit ${run.code}${run.timedOut ? ', timed out' : ''})` };
}

let timings: { deadline?: number; jobs: StageTiming[] } | undefined;

/** One line per stage job: queued, started and finished (s from the run's start), own run time, past the deadline. */
function timingTable(t: { deadline?: number; jobs: StageTiming[] }): string {
  const rows = t.jobs.map((j) => [j.job, j.state, fmt(j.queuedAt, 1), fmt(j.startedAt, 1), fmt(j.finishedAt, 1), fmt(j.seconds, 1), j.pastDeadline === undefined ? '-' : fmt(j.pastDeadline, 1)]);
  return `stage jobs (s from the run's first job; deadline at ${t.deadline === undefined ? 'none' : fmt(t.deadline, 1)}):\n${table(['job', 'state', 'queued', 'started', 'finished', 'run s', 'past deadline s'], rows)}`;
}

/** The default training run through the CLI, on a fresh store and queue prefix (cleaned up after). */
async function train(data: string, schema: string, tag: string) {
  const scratch = await mkdtemp(join(tmpdir(), 'tm-bench-scale-'));
  const prefix = `tmscale${process.pid}${tag.replace(/\W/g, '')}`;
  const stderrFile = join(outDir, `train-${tag}.log`);
  try {
    const families = a.families ? ['--families', a.families] : [];
    if (a['time-budget']) families.push('--time-budget', a['time-budget']);
    const [command, ...args] =
      a.runner === 'local' ? [tsx, join(root, 'workers/cli/train.ts')] : [process.execPath, join(root, 'api/bin/threatmatrix.mjs'), 'train', '--follow'];
    const run = await runChild(command, [...args, '--data', data, '--schema', schema, ...families], {
      cwd: root,
      env: { ...process.env, TM_ARTIFACTS: join(scratch, 'artifacts'), TM_QUEUE_PREFIX: prefix, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
      timeoutSeconds: trainTimeout,
      stderrFile,
    });
    // The summary `threatmatrix train` prints: "run <id>: best <family>", then "  <metric> <value>" lines.
    const best = /: best (\S+)/.exec(run.stdout)?.[1];
    const metrics = Object.fromEntries([...run.stdout.matchAll(/^ {2}(\w+)\s+(-?[\d.]+)$/gm)].map((m) => [m[1], Number(m[2])]));
    return { ok: run.code === 0, code: run.code, timedOut: run.timedOut, wallSeconds: run.wallSeconds, peakRss: run.peakRss, processes: run.processes, best, metrics, output: run.stdout.trim(), log: stderrFile };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    const redis = redisConnection(loadConfig().REDIS_URL, 'producer');
    await redis.connect();
    // Where the time went, from the jobs' timestamps, before the run's keys go.
    if (a.runner === 'cli') timings = await stageTimings(redis, prefix).catch((err: Error) => (log(`stage timings: ${err.message}`), undefined));
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) await redis.unlink(key);
    } while (cursor !== '0');
    redis.disconnect();
  }
}

type Anchor = Record<string, unknown> & { read_csv_wall_cpu_s?: [number, number]; peak_rss_mb?: number };
type AnchorFit = { fit_wall_cpu_s: [number, number]; f1?: number; macro_f1?: number; roc_auc?: number; predict_rows_per_s_wall?: number };

const results: Record<string, unknown>[] = [];
const rowsOut: (string | number)[][] = [];
const goals: [string, boolean | undefined, string][] = [];
const GB = 1024 ** 3;

for (const rows of rowsList) {
  for (const classes of classesList) {
    const tag = `${rows}-k${classes}`;
    if (pythonMissing && !existsSync(join(outDir, `scale-${tag}.csv`))) {
      log(`SKIP ${tag}: no bench/out/scale-${tag}.csv and no way to make it`);
      continue;
    }
    const files = scaleData(outDir, tools, rows, classes, log);
    const result: Record<string, unknown> = { rows, classes, data: files.data, date: new Date().toISOString() };
    results.push(result);

    let anchor: Anchor | undefined;
    if (!pythonMissing && !a['skip-anchor']) {
      log(`${tag}: scale_anchor.py (pandas, scikit-learn HGB, XGBoost hist 1 and 2 threads)`);
      const out = join(outDir, `anchor-${tag}.json`);
      const run = await runChild(PYTHON, [join(tools, 'scale_anchor.py'), files.data, out], { timeoutSeconds: trainTimeout * 2 });
      anchor = run.code === 0 ? (JSON.parse(readFileSync(out, 'utf8')) as Anchor) : undefined;
      if (!anchor) log(`${tag}: scale_anchor.py failed (exit ${run.code})`);
      result.anchor = anchor;
    }
    const xgb1 = anchor?.['xgboost_hist_100_depth6_lr0.3_threads1'] as AnchorFit | undefined;
    const hgb = anchor?.sklearn_hgb_defaults as AnchorFit | undefined;
    const quality = (f?: { f1?: number; macro_f1?: number; roc_auc?: number; rocAuc?: number }) =>
      f ? `${classes === 2 ? `F1 ${fmt(f.f1)} ROC-AUC ${fmt(f.roc_auc ?? f.rocAuc)}` : `macro-F1 ${fmt(f.macro_f1 ?? f.f1)}`}` : '-';

    if (steps.includes('ingest')) {
      log(`${tag}: ingest, ${repeat} pair(s) readCsv / pandas read_csv`);
      const got = await ingest(files.data, files.schema);
      result.ingest = got;
      const rate = (t?: Timed) => (t ? t.rows / t.wallSeconds : NaN);
      rowsOut.push([tag, 'CSV ingest rows/s (wall; CPU s)', `${int(rate(got.ours))} (${fmt(got.ours?.cpuSeconds, 2)} s)`, got.pandas ? `pandas ${int(rate(got.pandas))} (${fmt(got.pandas.cpuSeconds, 2)} s)` : '-']);
      if (got.pandas) goals.push([`ingest >= pandas read_csv (${tag})`, rate(got.ours) >= rate(got.pandas), `${fmt(rate(got.ours) / rate(got.pandas), 2)}x`]);
    }
    if (steps.includes('fit')) {
      log(`${tag}: one boosting fit at XGBoost's config`);
      const got = await fit(files.data, files.schema, tag);
      result.fit = got;
      if ('note' in got) {
        log(`${tag}: fit skipped: ${got.note}`);
        rowsOut.push([tag, 'boosting fit (100 rounds, depth 6, lr 0.3)', got.note, xgb1 ? `XGBoost 1t ${fmt(xgb1.fit_wall_cpu_s[0], 1)} s` : '-']);
      } else {
        rowsOut.push([tag, 'boosting fit wall s (CPU s)', `${fmt(got.fitWallSeconds, 1)} (${fmt(got.fitCpuSeconds, 1)}) ${got.mode ?? ''}`, xgb1 ? `XGBoost hist 1t ${fmt(xgb1.fit_wall_cpu_s[0], 1)} (${fmt(xgb1.fit_wall_cpu_s[1], 1)})` : '-']);
        rowsOut.push([tag, 'boosting fit test quality', quality(got), xgb1 ? `XGBoost ${quality(xgb1)}; sklearn HGB ${quality(hgb)}` : '-']);
        if (xgb1) goals.push([`fit <= XGBoost hist 1 thread (${tag})`, got.fitWallSeconds <= xgb1.fit_wall_cpu_s[0], `${fmt(got.fitWallSeconds / xgb1.fit_wall_cpu_s[0], 2)}x`]);
        if (xgb1 && classes === 2 && got.rocAuc !== undefined && xgb1.roc_auc !== undefined) goals.push([`ROC-AUC >= XGBoost's (${tag})`, got.rocAuc >= xgb1.roc_auc, `${fmt(got.rocAuc)} vs ${fmt(xgb1.roc_auc)}`]);
      }
    }
    if (steps.includes('train')) {
      log(`${tag}: the training run (${a.runner === 'local' ? 'npm run train:local' : 'threatmatrix train --follow'}), stderr in bench/out/train-${tag}.log`);
      const got = await train(files.data, files.schema, tag);
      result.train = got;
      log(`${tag}: ${got.ok ? 'registered' : `FAILED (exit ${got.code}${got.timedOut ? ', timed out' : ''})`} in ${fmt(got.wallSeconds, 1)} s, peak tree RSS ${fmt(got.peakRss / GB, 2)} GB`);
      if (got.output) process.stderr.write(`${got.output}\n`);
      result.stageTimings = timings;
      if (timings?.jobs.length) process.stderr.write(`${timingTable(timings)}\n`);
      const mb = (b: number) => `${int(b / 2 ** 20)} MB`;
      process.stderr.write(`processes by own peak RSS (pid role: own peak, at the tree's peak):\n${got.processes.slice(0, 6).map((p) => `  ${p.pid} ${p.role}: ${mb(p.peakRss)}, ${mb(p.atTreePeak)}`).join('\n')}\n`);
      const what = `${a.families ? `run (families ${a.families})` : 'default run'}${a.runner === 'local' ? ', train:local' : ''}`;
      rowsOut.push([tag, `${what} wall s, peak tree RSS`, `${got.ok ? '' : 'FAILED '}${fmt(got.wallSeconds, 1)} s, ${fmt(got.peakRss / GB, 2)} GB`, anchor?.peak_rss_mb ? `anchor script RSS ${fmt(anchor.peak_rss_mb / 1024, 2)} GB` : '-']);
      if (got.ok) rowsOut.push([tag, `${what}: best ${got.best}, test`, quality({ f1: got.metrics.f1, macro_f1: got.metrics.macroF1, roc_auc: got.metrics.rocAuc }), hgb ? `sklearn HGB ${quality(hgb)}` : '-']);
      const outcome = `${got.ok ? 'ok' : got.timedOut ? 'timed out' : 'failed'}, ${fmt(got.wallSeconds / 60, 1)} min, ${fmt(got.peakRss / GB, 2)} GB`;
      const defaultRun = a.families ? undefined : true;
      if (rows >= 1_000_000 && classes === 2) goals.push([`1M binary default run completes, RSS <= 3 GB (${tag})`, defaultRun && got.ok && got.peakRss <= 3 * GB, `${what}: ${outcome}`]);
      if (rows === 100_000 && classes === 10) goals.push([`100k x 10-class default run <= 5 min (${tag})`, defaultRun && got.ok && got.wallSeconds <= 300, `${what}: ${outcome}`]);
    }
    if (anchor?.read_csv_wall_cpu_s) rowsOut.push([tag, 'anchor script: pandas read_csv wall (CPU) s', '-', `${fmt(anchor.read_csv_wall_cpu_s[0], 2)} (${fmt(anchor.read_csv_wall_cpu_s[1], 2)})`]);
  }
}

console.log(`\nbench:scale ${new Date().toISOString()}, ${rowsList.join('/')} rows, ${classesList.join('/')} classes`);
console.log(table(['data', 'what', 'threatmatrix', 'anchor (same run)'], rowsOut));
console.log(`\n${table(['goal', 'met', 'figure'], goals.map(([g, met, figure]) => [g, met === undefined ? '-' : met ? 'met' : 'NOT met', figure]))}`);
if (a.out) writeFileSync(a.out, `${JSON.stringify({ results, goals }, null, 2)}\n`);
