/**
 * npm run bench:explain [-- --seconds 10] [--warmup 3] [--connections 16] [--no-api] [--out file.json]
 *
 * In one run: explanation rows/s (one thread, the phishing test split) of the served phishing
 * model (a production gradient-boosting version trained as `bench:api` does) and of the imported
 * XGBoost anchor model (100 trees, depth 6, lr 0.3: the model XGBoost explains, saved and
 * imported), each against XGBoost's own `pred_contribs` with one thread on the same model and
 * rows: the served model is exported (exportXgboost) and loaded in XGBoost, which explains its
 * preprocessed test rows. Needs /usr/bin/python3 with xgboost; without it both rows are compared
 * with the figure of ../shared/baselines/xgboost_phishing.json (XGBoost's own 100 x depth 6
 * model, not the served one) and the anchor is our boosting in its shape. Goal: 10x XGBoost's
 * rows/s. Each XGBoost run also checks its contributions (and bias) against ours. Then `/v1/predict`
 * with `explain: {top: 5}` against plain `/v1/predict` (autocannon, keep-alive, loopback, the API
 * in its own process); goal: at least half the plain req/s.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { LocalArtifactStore } from '../core/adapters/local-artifact-store.js';
import { PipelineExplainer } from '../core/explain/explainer.js';
import { featureColumns } from '../core/explain/feature-columns.js';
import { GradientBoosting } from '../core/models/gradient-boosting.js';
import { exportXgboostText } from '../core/models/xgboost/export-xgboost.js';
import { importXgboost } from '../core/models/xgboost/import-xgboost.js';
import { Pipeline } from '../core/models/pipeline.js';
import { loadServedModel } from '../core/registry/served-model.js';
import { Preprocessor } from '../core/transform/preprocessor.js';
import { parseDatasetSchema } from '../schema/index.js';
import { dropPrefix, REDIS_URL } from '../test/helpers/redis.js';
import { trainPhishing } from '../test/helpers/served.js';
import { loadWithAutocannon, type LoadResult } from './lib/load.js';
import { phishingSplit } from './lib/phishing-split.js';
import { fmt, int, table } from './lib/table.js';

const { values: args } = parseArgs({
  options: { seconds: { type: 'string', default: '10' }, warmup: { type: 'string', default: '3' }, connections: { type: 'string', default: '16' }, 'no-api': { type: 'boolean', default: false }, out: { type: 'string' } },
});
const seconds = Number(args.seconds);
const warmup = Number(args.warmup);
const connections = Number(args.connections);
const repo = new URL('..', import.meta.url).pathname;
const dir = await mkdtemp(join(tmpdir(), 'tm-bench-explain-'));
const prefix = `tmbenchx${process.pid}`;
const KEY = 'bench-explain-key';
const ANCHOR_FILE = { rowsPerSecond: 2768, note: 'xgboost_phishing.json, quiet machine' };

process.stderr.write('training a gradient-boosting model to serve...\n');
const store = new LocalArtifactStore(join(dir, 'artifacts'));
const registry = await trainPhishing(store, 'bench-explain', ['gradient_boosting']);
const entry = (await registry.versions('phishing')).at(-1)!;
const served = (await loadServedModel(registry, store, 'phishing', entry.version))!;
const servedName = `served v${entry.version}: ${entry.family} ${JSON.stringify(entry.params)}`;

const { train, test } = await phishingSplit();
/** Our boosting in the anchor's shape, fitted on the training split. */
async function anchorShaped(): Promise<Pipeline> {
  const pre = Preprocessor.forModel('gradient_boosting');
  const X = pre.fitTransform(train.features);
  const model = new GradientBoosting({ maxIter: 100, maxDepth: 6, maxLeafNodes: 64, learningRate: 0.3, earlyStopping: false, minSamplesLeaf: 1 });
  await model.fit(X, train.labels, { nClasses: 2, categorical: pre.categoricalFeatures });
  return new Pipeline(pre, model, train.classes, train.positiveClass);
}

/** Explanation rows/s of a pipeline on the test rows (preprocessing and probabilities included), one thread. */
function explainRate(p: Pipeline): { rowsPerSecond: number; buildMs: number; trees: number } {
  const t0 = performance.now();
  const explainer = PipelineExplainer.for(p);
  const buildMs = performance.now() - t0;
  let rows = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    explainer.explain(test.features, p.predictProba(test.features));
    rows += test.features.nRows;
  }
  const trees = (p.model.toJSON().state as { trees: unknown[] }).trees.length;
  return { rowsPerSecond: rows / ((performance.now() - start) / 1000), buildMs, trees };
}

/**
 * XGBoost's pred_contribs rows/s with one thread, measured now, and its model saved to `model`
 * with its contributions of the test rows; undefined without python3-xgboost.
 */
function xgboostRun(model: string): { rowsPerSecond: number; contribs: Float64Array } | undefined {
  const r = spawnSync('/usr/bin/python3', [join(repo, 'bench/lib/xgboost-contribs.py'), join(repo, 'data/phishing.csv'), join(repo, 'bench/fixtures/split_test_indices.json'), String(seconds), model], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
  if (r.status !== 0) {
    process.stderr.write(`no XGBoost anchor this run (${(r.stderr || r.error?.message || '').trim().split('\n').at(-1)})\n`);
    return undefined;
  }
  const rowsPerSecond = (JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { rows_per_s: number }).rows_per_s;
  return { rowsPerSecond, contribs: new Float64Array(readFileSync(`${model}.contribs`).buffer.slice(0)) };
}

/**
 * The served gradient-boosting model exported to XGBoost and explained there: pred_contribs
 * rows/s with one thread on its preprocessed test rows, and those contributions; undefined
 * without python3-xgboost (or for another family).
 */
function servedXgboostRun(p: Pipeline): { rowsPerSecond: number; contribs: Float64Array } | undefined {
  if (!(p.model instanceof GradientBoosting)) {
    process.stderr.write(`the served model is ${p.model.kind}, not gradient boosting: no XGBoost export\n`);
    return undefined;
  }
  const model = join(dir, 'served-xgboost.json');
  const rows = join(dir, 'served-test.f32');
  const X = p.preprocessor.transform(test.features);
  writeFileSync(model, exportXgboostText(p.model, { featureNames: p.preprocessor.outputNames }));
  writeFileSync(rows, new Uint8Array(X.data.buffer, X.data.byteOffset, X.data.byteLength));
  const r = spawnSync('/usr/bin/python3', [join(repo, 'bench/lib/xgboost-contribs-of.py'), model, rows, String(X.cols), String(seconds)], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
  if (r.status !== 0) {
    process.stderr.write(`the served model was not explained by XGBoost (${(r.stderr || r.error?.message || '').trim().split('\n').at(-1)})\n`);
    return undefined;
  }
  const rowsPerSecond = (JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { rows_per_s: number }).rows_per_s;
  return { rowsPerSecond, contribs: new Float64Array(readFileSync(`${model}.contribs`).buffer.slice(0)) };
}

/**
 * Largest |ours - XGBoost's| over the test rows' contributions and base values. XGBoost explains
 * class 1's margin per matrix column (its last column is the bias); its columns are summed into
 * the features they encode, as our explainer folds them.
 */
function contribsGap(p: Pipeline, xgbContribs: Float64Array): number {
  const e = PipelineExplainer.for(p).explain(test.features, p.predictProba(test.features));
  const F = e.features.length;
  const { featureOf } = featureColumns(p.preprocessor);
  const C = featureOf.length;
  const folded = new Float64Array(F);
  let gap = 0;
  for (let i = 0; i < test.features.nRows; i++) {
    const sign = e.classOf[i] === 1 ? 1 : -1;
    folded.fill(0);
    for (let j = 0; j < C; j++) folded[featureOf[j]] += xgbContribs[i * (C + 1) + j];
    for (let f = 0; f < F; f++) gap = Math.max(gap, Math.abs(e.phi[i * F + f] - sign * folded[f]));
    gap = Math.max(gap, Math.abs(e.base[i] - sign * xgbContribs[i * (C + 1) + C]));
  }
  return gap;
}

process.stderr.write(`explaining with ${servedName}...\n`);
const ours = explainRate(served.pipeline);
process.stderr.write('XGBoost pred_contribs on the served model, exported...\n');
const servedXgb = servedXgboostRun(served.pipeline);
const servedGap = servedXgb && contribsGap(served.pipeline, servedXgb.contribs);
process.stderr.write('XGBoost pred_contribs on its own anchor model...\n');
const xgb = xgboostRun(join(dir, 'xgboost-anchor.json'));
const anchor = xgb?.rowsPerSecond ?? ANCHOR_FILE.rowsPerSecond;
const anchorSource = xgb === undefined ? ANCHOR_FILE.note : 'XGBoost 100 trees depth 6, this run';
const schema = parseDatasetSchema(readFileSync(join(repo, 'schema/phishing.yaml'), 'utf8'), 'schema/phishing.yaml');
const anchorModel = xgb ? importXgboost(readFileSync(join(dir, 'xgboost-anchor.json'), 'utf8'), schema).pipeline : await anchorShaped();
const anchorName = xgb ? "imported XGBoost anchor model (100 trees, depth 6, lr 0.3: XGBoost's own)" : "ours in XGBoost's shape (100 trees, depth 6, lr 0.3)";
process.stderr.write(`explaining with ${anchorName}...\n`);
const shaped = explainRate(anchorModel);
const gap = xgb ? contribsGap(anchorModel, xgb.contribs) : undefined;

/** Spawns the API (from source) serving the registry and waits until it is ready. */
async function startApi(port: number): Promise<ChildProcess> {
  const env = { ...process.env, PORT: String(port), HOST: '127.0.0.1', TM_ARTIFACTS: join(dir, 'artifacts'), TM_QUEUE_PREFIX: prefix, TM_API_KEYS_PREDICT: KEY, TM_API_KEYS_ADMIN: 'bench-admin', LOG_LEVEL: 'warn', REDIS_URL };
  const child = spawn(process.execPath, ['--import', 'tsx', 'api/cli/main.ts', 'serve', '--workers', '1'], { cwd: repo, env, stdio: ['ignore', 'ignore', 'inherit'] });
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`the API exited ${child.exitCode}`);
    if (await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false)) return child;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the API did not come up');
}

const api: { run: string; result: LoadResult }[] = [];
if (!args['no-api']) {
  const port = 8741;
  const child = await startApi(port);
  try {
    const features = Object.fromEntries(test.features.columns.map((c) => [c.name, c.kind === 'numeric' ? c.values[0] : c.categories[c.codes[0]]]));
    const url = `http://127.0.0.1:${port}/v1/predict`;
    const headers = { authorization: `Bearer ${KEY}` };
    for (const [run, body] of [
      ['predict', { features }],
      ['predict explain top 5', { features, explain: { top: 5 } }],
    ] as const) {
      const o = { url, body: JSON.stringify(body), headers, connections, seconds };
      // One request first: the first explanation starts the scoring thread, which loads the model and builds its explainer (seconds on a loaded machine).
      const first = await fetch(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: o.body });
      if (!first.ok) throw new Error(`${run}: HTTP ${first.status} ${await first.text()}`);
      if (warmup) await loadWithAutocannon({ ...o, seconds: warmup });
      const result = await loadWithAutocannon(o);
      api.push({ run, result });
      process.stderr.write(`${run}: ${int(result.requestsPerSecond)} req/s, p99 ${fmt(result.p99, 2)} ms, ${result.errors} errors\n`);
    }
  } finally {
    await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : (child.once('exit', resolve), child.kill())));
  }
}

const load = os.loadavg()[0];
// The served model's XGBoost figure is XGBoost explaining that same model; without python3-xgboost, the anchor's (another model).
const servedAnchor = servedXgb?.rowsPerSecond ?? anchor;
const gapText = (g: number | undefined) => (g === undefined ? '-' : g.toExponential(1));
console.log(`bench:explain, ${test.features.nRows} phishing test rows, ${seconds} s per figure, one thread, ${os.cpus().length} cores, Node ${process.version}, load average ${fmt(load, 1)}`);
console.log(
  table(
    ['model', 'trees', 'explainer build ms', 'explained rows/s', 'XGBoost pred_contribs rows/s', 'x XGBoost', 'largest |ours - XGBoost|'],
    [
      [servedName, ours.trees, int(ours.buildMs), int(ours.rowsPerSecond), int(servedAnchor), fmt(ours.rowsPerSecond / servedAnchor, 1), gapText(servedGap)],
      [anchorName, shaped.trees, int(shaped.buildMs), int(shaped.rowsPerSecond), int(anchor), fmt(shaped.rowsPerSecond / anchor, 1), gapText(gap)],
    ],
  ),
);
console.log(
  servedXgb
    ? 'served model: XGBoost explains the same trees (exported with exportXgboost, loaded in XGBoost) on the same preprocessed test rows'
    : `served model: NOT the same model: no XGBoost export this run (python3-xgboost missing or the export failed), compared with ${ANCHOR_FILE.note}`,
);
console.log(`anchor: ${anchorSource}; largest |diff| covers every contribution and the bias term`);
if (api.length) {
  const [plain, explained] = api.map((a) => a.result);
  console.log(
    table(
      ['run', 'req/s', 'p50 ms', 'p99 ms', 'errors'],
      api.map(({ run, result: r }) => [run, int(r.requestsPerSecond), fmt(r.p50, 2), fmt(r.p99, 2), r.errors]),
    ),
  );
  console.log(`explain top 5 / plain: ${fmt((100 * explained.requestsPerSecond) / plain.requestsPerSecond, 1)}% (goal >= 50%)`);
}
if (args.out) {
  await writeFile(args.out, `${JSON.stringify({ date: new Date().toISOString(), load, seconds, served: servedName, ours, servedXgboost: servedXgb?.rowsPerSecond, servedContribsGap: servedGap, anchorModel: anchorName, shaped, anchor, anchorSource, contribsGap: gap, api }, null, 2)}\n`);
}

const redis = new Redis(REDIS_URL);
await dropPrefix(redis, prefix);
redis.disconnect();
await rm(dir, { recursive: true, force: true });
