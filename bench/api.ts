/**
 * npm run bench:api [-- --workers N] [--client wrk|autocannon] [--seconds 20] [--warmup 5] [--repeat 1] [--out file.json]
 *   [--prediction-log on|off|both] [--sample-rate 0.1]
 *
 * Loads, in one run and with the same client (wrk when installed, as the baselines were measured,
 * else autocannon; keep-alive, loopback), a bare Hono POST
 * endpoint (the baseline's floor server, no model) and `threatmatrix serve` with a production
 * gradient-boosting model (the build in dist/, as production runs it): single predictions at 16 and 64 connections and 1,000-row synchronous
 * batches at 4. Each server runs in its own process; every run is bounded by --seconds. With
 * --repeat N, the floor and threatmatrix take turns N times and the tables show each figure's
 * median (on a shared 2-core machine, runs minutes apart differ by a third). --prediction-log both
 * serves the model twice, prediction log off (TM_PREDICTION_SAMPLE_RATE=0) and on (--sample-rate),
 * measured in turns in the same run, and compares them (default on: the shipped configuration).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { LocalArtifactStore } from '../core/adapters/local-artifact-store.js';
import { dropPrefix, REDIS_URL } from '../test/helpers/redis.js';
import { trainPhishing } from '../test/helpers/served.js';
import { loadWithAutocannon, type LoadOptions, type LoadResult } from './lib/load.js';
import { hasWrk, loadWithWrk } from './lib/wrk.js';
import { fmt, int, table } from './lib/table.js';

const { values: args } = parseArgs({ options: { workers: { type: 'string', default: '1' }, client: { type: 'string', default: hasWrk() ? 'wrk' : 'autocannon' }, seconds: { type: 'string', default: '20' }, warmup: { type: 'string', default: '5' }, repeat: { type: 'string', default: '1' }, out: { type: 'string' }, 'prediction-log': { type: 'string', default: 'on' }, 'sample-rate': { type: 'string', default: '0.1' } } });
const logModes = { on: ['on'], off: ['off'], both: ['off', 'on'] }[args['prediction-log']!];
if (!logModes) throw new Error(`--prediction-log: on, off or both, not ${args['prediction-log']}`);
const sampleRate = Number(args['sample-rate']);
if (!(sampleRate > 0 && sampleRate <= 1)) throw new Error(`--sample-rate: a share in (0, 1], not ${args['sample-rate']}`);
const seconds = Number(args.seconds);
if (args.client !== 'wrk' && args.client !== 'autocannon') throw new Error(`--client: wrk or autocannon, not ${args.client}`);
const rounds = Number(args.repeat);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--repeat: a whole number from 1, not ${args.repeat}`);
const load: (o: LoadOptions) => Promise<LoadResult> = args.client === 'wrk' ? loadWithWrk : loadWithAutocannon;
const warmup = Number(args.warmup);
const base = `threatmatrix (${args.workers} process${args.workers === '1' ? '' : 'es'}`;
/** The server's name in the tables: with both log modes, each names its own. */
const nameOf = (mode: string) => (logModes.length > 1 ? `${base}, log ${mode})` : `${base})`);
const threatmatrix = nameOf(logModes.at(-1)!);
const repo = new URL('..', import.meta.url).pathname;
const dir = await mkdtemp(join(tmpdir(), 'tm-bench-api-'));
const prefix = `tmbench${process.pid}`;
const KEY = 'bench-predict-key';

/** Spawns a server and waits until `health` answers 200. */
async function start(cmd: string[], env: Record<string, string>, health: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, cmd, { cwd: repo, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${cmd.join(' ')} exited ${child.exitCode}`);
    if (await fetch(health).then((r) => r.ok, () => false)) return child;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${health} did not come up`);
}

process.stderr.write('training a gradient-boosting model to serve...\n');
const registry = await trainPhishing(new LocalArtifactStore(join(dir, 'artifacts')), 'bench-api', ['gradient_boosting']);
// The grid's winner varies from run to run (e.g. 100 or 200 trees): name it, since scoring cost follows it.
const served = (await registry.versions('phishing')).at(-1)!;
const model = `${served.family} ${JSON.stringify(served.params)}`;
process.stderr.write(`serving ${model}\n`);
const floor = await start(['bench/servers/hono-floor.mjs'], { PORT: '8731' }, 'http://127.0.0.1:8731/health');
/** One threatmatrix server per log mode: 8732, 8733. */
const servers: { mode: string; port: number; child: ChildProcess }[] = [];
for (const [i, mode] of logModes.entries()) {
  const port = 8732 + i;
  const env = { PORT: String(port), HOST: '127.0.0.1', TM_ARTIFACTS: join(dir, 'artifacts'), TM_QUEUE_PREFIX: prefix, TM_API_KEYS_PREDICT: KEY, TM_API_KEYS_ADMIN: 'bench-admin', LOG_LEVEL: 'warn', REDIS_URL, TM_PREDICTION_SAMPLE_RATE: mode === 'on' ? String(sampleRate) : '0' };
  servers.push({ mode, port, child: await start(['dist/api/cli/main.js', 'serve', '--workers', args.workers!], env, `http://127.0.0.1:${port}/readyz`) });
}

const [head, ...lines] = (await readFile(join(repo, 'data/phishing.csv'), 'utf8')).trim().split(/\r?\n/);
const names = head.replaceAll('"', '').split(',').slice(0, 30);
const record = (l: string) => Object.fromEntries(names.map((n, j) => [n, Number(l.split(',')[j])]));
const one = JSON.stringify({ features: record(lines[0]) });
const thousand = JSON.stringify({ rows: lines.slice(0, 1000).map(record) });
const auth = { authorization: `Bearer ${KEY}` };

const runs: { server: string; run: string; rows: number; result: LoadResult }[] = [];
async function measure(server: string, run: string, url: string, body: string, connections: number, rows: number, headers?: Record<string, string>) {
  if (warmup) await load({ url, body, headers, connections, seconds: warmup });
  const result = await load({ url, body, headers, connections, seconds });
  runs.push({ server, run, rows, result });
  process.stderr.write(`${server} ${run}: ${int(result.requestsPerSecond)} req/s, p99 ${fmt(result.p99, 2)} ms, ${result.errors} errors\n`);
}

/** The log modes in a round's order: reversed every other round, so that neither always runs first. */
const inTurn = (round: number) => (round % 2 ? [...servers].reverse() : servers);

try {
  for (let round = 0; round < rounds; round++) {
    for (const c of [16, 64]) {
      await measure('hono floor', `predict c${c}`, 'http://127.0.0.1:8731/predict', one, c, 1);
      for (const { mode, port } of inTurn(round)) await measure(nameOf(mode), `predict c${c}`, `http://127.0.0.1:${port}/v1/predict`, one, c, 1, auth);
    }
    await measure('hono floor', 'batch1000 c4', 'http://127.0.0.1:8731/predict/batch', thousand, 4, 1000);
    for (const { mode, port } of inTurn(round)) await measure(nameOf(mode), 'batch1000 c4', `http://127.0.0.1:${port}/v1/predict/batch`, thousand, 4, 1000, auth);
  }
} finally {
  // Wait for both to exit: the API flushes its prediction log into the scratch directory on the way out.
  await Promise.all([floor, ...servers.map((s) => s.child)].map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : (child.once('exit', resolve), child.kill())))));
}

const median = (xs: number[]) => xs.sort((a, b) => a - b)[(xs.length - 1) >> 1];
/** One server's figures for one run: each the median over the rounds, errors summed. */
const get = (server: string, run: string): LoadResult => {
  const of = runs.filter((r) => r.server === server && r.run === run).map((r) => r.result);
  const m = (key: 'requestsPerSecond' | 'p50' | 'p90' | 'p99') => median(of.map((r) => r[key]));
  return { requestsPerSecond: m('requestsPerSecond'), p50: m('p50'), p90: m('p90'), p99: m('p99'), errors: of.reduce((n, r) => n + r.errors, 0), requests: of.reduce((n, r) => n + r.requests, 0) };
};
const floorOf = (run: string) => get('hono floor', run).requestsPerSecond;
const summary = [...new Map(runs.map((r) => [`${r.server}|${r.run}`, r])).values()];
console.log(`bench:api, ${args.client === 'wrk' ? 'wrk -t2' : 'autocannon'} ${seconds} s per run after ${warmup} s warm-up, keep-alive, loopback, ${os.cpus().length} cores, Node ${process.version}; model ${model}${rounds === 1 ? '' : `; medians of ${rounds} alternating rounds`}`);
console.log(
  table(
    ['server', 'run', 'req/s', 'rows/s', 'p50 ms', 'p90 ms', 'p99 ms', 'errors', 'of floor'],
    summary.map(({ server, run, rows }) => {
      const r = get(server, run);
      return [server, run, int(r.requestsPerSecond), rows > 1 ? int(r.requestsPerSecond * rows) : '-', fmt(r.p50, 2), fmt(r.p90, 2), fmt(r.p99, 2), r.errors, `${fmt((100 * r.requestsPerSecond) / floorOf(run), 0)}%`];
    }),
  ),
);
// Issue [3/4]'s goals, set against the baselines' machine, where the same floor measured 57,921 req/s
// with p99 0.59 ms at c16 and 610,510 rows/s on the batch (../shared/baselines/BASELINES.md). The
// floor's own figures in this run show what this machine allows any server.
const [ours16, floor16, oursBatch, floorBatch] = [get(threatmatrix, 'predict c16'), get('hono floor', 'predict c16'), get(threatmatrix, 'batch1000 c4'), get('hono floor', 'batch1000 c4')];
const yes = (ok: boolean) => (ok ? 'yes' : 'no');
const errors = runs.filter((r) => r.server.startsWith(base)).reduce((n, r) => n + r.result.errors, 0);
console.log(
  table(
    ['goal', 'threatmatrix', 'met', 'floor, this run', 'floor meets it', 'floor, baselines'],
    [
      ['predict c16 >= 40% of floor req/s', `${fmt((100 * ours16.requestsPerSecond) / floor16.requestsPerSecond, 0)}%`, yes(ours16.requestsPerSecond >= 0.4 * floor16.requestsPerSecond), '100%', '-', '-'],
      ['predict c16 p99 <= 2 ms', fmt(ours16.p99, 2), yes(ours16.p99 <= 2), fmt(floor16.p99, 2), yes(floor16.p99 <= 2), '0.59'],
      ['zero errors', errors, yes(errors === 0), '-', '-', '-'],
      ['batch >= 300,000 rows/s', int(oursBatch.requestsPerSecond * 1000), yes(oursBatch.requestsPerSecond * 1000 >= 300_000), int(floorBatch.requestsPerSecond * 1000), yes(floorBatch.requestsPerSecond * 1000 >= 300_000), '610,510'],
    ],
  ),
);
if (logModes.length > 1) {
  // The prediction log's cost: the same server with the log on against off, run by run (issue 15: within 10 %).
  console.log(
    table(
      ['run', 'log off req/s', `log on (${sampleRate}) req/s`, 'on / off', 'within 10 %'],
      ['predict c16', 'predict c64', 'batch1000 c4'].map((run) => {
        const [off, on] = [get(nameOf('off'), run).requestsPerSecond, get(nameOf('on'), run).requestsPerSecond];
        return [run, int(off), int(on), `${fmt((100 * on) / off, 1)}%`, yes(on >= 0.9 * off)];
      }),
    ),
  );
}
if (args.out) await writeFile(args.out, `${JSON.stringify({ client: args.client, workers: Number(args.workers), predictionLog: args['prediction-log'], sampleRate, model, seconds, warmup, repeat: rounds, cores: os.cpus().length, node: process.version, date: new Date().toISOString(), runs }, null, 2)}\n`);

const redis = new Redis(REDIS_URL);
await dropPrefix(redis, prefix);
redis.disconnect();
await rm(dir, { recursive: true, force: true });
