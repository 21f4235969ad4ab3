/**
 * npx tsx bench/explain-path.ts [--family logistic_regression] [--params JSON] [--seconds 6] [--warmup 2]
 *   [--rounds 3] [--connections 16] [--repo DIR]... [--prof DIR]
 *
 * The cost of `/v1/predict` with `explain: {top: 5}` outside the SHAP kernel: serves a phishing
 * model of `--family` (default logistic regression, whose linear SHAP costs next to nothing, so
 * what is measured is the request path: parsing, the scoring thread's round trip, folding, top-k,
 * JSON) and loads plain and explained requests (autocannon, keep-alive, loopback). With several
 * `--repo` checkouts (say the branch's parent in a scratch copy, and this one) each serves the
 * same registry from its own process and they are loaded in turn, round after round, so that a
 * before/after comparison shares the machine's conditions; medians are reported.
 * `--params JSON`: one model of the family with these parameters, fitted on all of data/phishing.csv
 * without a search (say gradient boosting in XGBoost's anchor shape, `{"maxIter":100,"maxDepth":6,
 * "maxLeafNodes":64,"learningRate":0.3}`, whose SHAP is ~30x cheaper than the trained version's).
 * `--prof DIR`: the API processes write V8 CPU profiles there (node --cpu-prof) when they exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { parse as parseYaml } from 'yaml';
import { LocalArtifactStore } from '../core/adapters/local-artifact-store.js';
import type { DatasetSchemaInput } from '../schema/index.js';
import { registerFitted } from '../test/helpers/fitted-model.js';
import { dropPrefix, REDIS_URL } from '../test/helpers/redis.js';
import { trainPhishing } from '../test/helpers/served.js';
import { loadWithAutocannon, type LoadResult } from './lib/load.js';
import { phishingSplit } from './lib/phishing-split.js';
import { fmt, int, table } from './lib/table.js';

const { values: args } = parseArgs({
  options: {
    family: { type: 'string', default: 'logistic_regression' },
    params: { type: 'string' },
    seconds: { type: 'string', default: '6' },
    warmup: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '16' },
    repo: { type: 'string', multiple: true },
    prof: { type: 'string' },
  },
});
const seconds = Number(args.seconds);
const warmup = Number(args.warmup);
const rounds = Number(args.rounds);
const connections = Number(args.connections);
const repos = (args.repo?.length ? args.repo : [new URL('..', import.meta.url).pathname]).map((r) => resolve(r));
const dir = await mkdtemp(join(tmpdir(), 'tm-bench-explain-path-'));
const prefix = `tmbenchxp${process.pid}`;
const KEY = 'bench-explain-key';

process.stderr.write(`training a ${args.family} model to serve...\n`);
const store = new LocalArtifactStore(join(dir, 'artifacts'));
if (args.params === undefined) await trainPhishing(store, 'bench-explain-path', [args.family]);
else {
  const repo = new URL('..', import.meta.url).pathname;
  const schema = parseYaml(readFileSync(join(repo, 'schema/phishing.yaml'), 'utf8')) as DatasetSchemaInput;
  await registerFitted(store, { name: 'phishing', csv: join(repo, 'data/phishing.csv'), schema, kind: args.family, params: JSON.parse(args.params) as Record<string, unknown> });
}
const { test } = await phishingSplit();

/** Spawns the API of checkout `repo` (from source) serving the registry and waits until it is ready. */
async function startApi(repo: string, port: number): Promise<ChildProcess> {
  const env = { ...process.env, PORT: String(port), HOST: '127.0.0.1', TM_ARTIFACTS: join(dir, 'artifacts'), TM_QUEUE_PREFIX: `${prefix}p${port}`, TM_API_KEYS_PREDICT: KEY, TM_API_KEYS_ADMIN: 'bench-admin', LOG_LEVEL: 'warn', REDIS_URL };
  const prof = args.prof ? ['--cpu-prof', '--cpu-prof-dir', resolve(args.prof)] : [];
  const child = spawn(process.execPath, [...prof, '--import', 'tsx', 'api/cli/main.ts', 'serve', '--workers', '1'], { cwd: repo, env, stdio: ['ignore', 'ignore', 'inherit'] });
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`the API of ${repo} exited ${child.exitCode}`);
    if (await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false)) return child;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the API of ${repo} did not come up`);
}

const features = Object.fromEntries(test.features.columns.map((c) => [c.name, c.kind === 'numeric' ? c.values[0] : c.categories[c.codes[0]]]));
const runs = [
  ['predict', { features }],
  ['explain top 5', { features, explain: { top: 5 } }],
] as const;
const headers = { authorization: `Bearer ${KEY}` };
const apis = await Promise.all(repos.map(async (repo, k) => ({ repo, port: 8751 + k, child: await startApi(repo, 8751 + k) })));
/** Per repo and run: the req/s and p99 of each round. */
const got = repos.map(() => runs.map(() => [] as LoadResult[]));
try {
  // One request first (the first explanation starts the scoring thread, which loads the model), then a warm-up.
  for (const a of apis) {
    for (const [run, body] of runs) {
      const url = `http://127.0.0.1:${a.port}/v1/predict`;
      const first = await fetch(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (!first.ok) throw new Error(`${run}: HTTP ${first.status} ${await first.text()}`);
      if (warmup) await loadWithAutocannon({ url, body: JSON.stringify(body), headers, connections, seconds: warmup });
    }
  }
  for (let round = 0; round < rounds; round++) {
    for (const [k, a] of apis.entries()) {
      for (const [r, [run, body]] of runs.entries()) {
        const result = await loadWithAutocannon({ url: `http://127.0.0.1:${a.port}/v1/predict`, body: JSON.stringify(body), headers, connections, seconds });
        got[k][r].push(result);
        process.stderr.write(`round ${round + 1} ${a.repo} ${run}: ${int(result.requestsPerSecond)} req/s, p99 ${fmt(result.p99, 2)} ms, ${result.errors} errors\n`);
      }
    }
  }
} finally {
  await Promise.all(apis.map(({ child }) => new Promise((done) => (child.exitCode !== null ? done(null) : (child.once('exit', done), child.kill('SIGINT'))))));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(`bench:explain-path, ${args.family}${args.params ? ` ${args.params}` : ''}, ${rounds} rounds of ${seconds} s, ${connections} connections, ${os.cpus().length} cores, Node ${process.version}, load average ${fmt(os.loadavg()[0], 1)}`);
console.log(
  table(
    ['checkout', 'plain req/s', 'explain req/s', 'explain / plain', 'explain p50 ms', 'explain p99 ms', 'explain req/s per round'],
    repos.map((repo, k) => {
      const [plain, explained] = got[k];
      const p = median(plain.map((r) => r.requestsPerSecond));
      const e = median(explained.map((r) => r.requestsPerSecond));
      return [repo, int(p), int(e), `${fmt((100 * e) / p, 0)}%`, fmt(median(explained.map((r) => r.p50)), 2), fmt(median(explained.map((r) => r.p99)), 2), explained.map((r) => int(r.requestsPerSecond)).join(' ')];
    }),
  ),
);

const redis = new Redis(REDIS_URL);
await dropPrefix(redis, prefix);
redis.disconnect();
await rm(dir, { recursive: true, force: true });
