/**
 * npm run bench:knn [-- --rows 100000 --caps 20000,50000 --score 2000 --k 5 --skip-anchor --out f.json]
 *
 * KNN scoring speed, neighbour index against brute force (issue 11): a KNN model fitted on the
 * first `cap` rows of a stratified order of make_scale_data.py's data (44 columns, one-hot and
 * scaled as the search does: 225 model columns), scoring `--score` other rows of it; and on the
 * phishing training split (30 ternary columns), scoring its test split. Per search (brute, kd_tree,
 * auto, and the JavaScript scan used where WebAssembly cannot be built): fit seconds (distinct rows + index build), scoring CPU seconds and rows/s, and whether the
 * probabilities equal brute force's to the bit. scikit-learn's KNeighborsClassifier (n_jobs=1, one
 * BLAS thread) scores the same matrices in the same run unless --skip-anchor.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readCsv } from '../core/data/csv-reader.js';
import { takeDataset, type Dataset } from '../core/data/frame.js';
import type { Matrix } from '../core/data/matrix.js';
import { stratifiedOrder } from '../core/data/stratified-order.js';
import { distinctRows } from '../core/data/distinct-rows.js';
import { BruteSearch } from '../core/models/knn-search.js';
import { Knn } from '../core/models/knn.js';
import { loadSchema } from '../core/training/load-dataset.js';
import { Preprocessor } from '../core/transform/preprocessor.js';
import { phishingSplit } from './lib/phishing-split.js';
import { PYTHON, scaleData } from './lib/scale-data.js';
import { fmt, int, table } from './lib/table.js';

const { values: a } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000' },
    caps: { type: 'string', default: '20000,50000' },
    score: { type: 'string', default: '2000' },
    k: { type: 'string', default: '5' },
    'skip-anchor': { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});
const whole = (name: string, text: string, min: number) => {
  const list = text.split(',').map(Number);
  if (!list.length || list.some((n) => !Number.isInteger(n) || n < min)) throw new Error(`--${name} takes whole numbers >= ${min} (got "${text}")`);
  return list;
};
const rows = whole('rows', a.rows!, 1000)[0];
const caps = whole('caps', a.caps!, 100);
const scoreRows = whole('score', a.score!, 1)[0];
const k = whole('k', a.k!, 1)[0];
if (caps.reduce((x, y) => Math.max(x, y)) + scoreRows > rows) throw new Error(`--rows (${rows}) must hold the largest cap plus --score rows`);

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = join(root, 'bench/out');
mkdirSync(outDir, { recursive: true });
const log = (line: string) => process.stderr.write(`bench:knn  ${line}\n`);

interface Case {
  name: string;
  train: Matrix;
  labels: Int32Array;
  nClasses: number;
  test: Matrix;
}

/** Preprocesses as the search does for KNN (one-hot, scaled), fitted on the training rows. */
function prepare(name: string, train: Dataset, test: Dataset): Case {
  const pre = Preprocessor.forModel('knn', { scale: true });
  return { name, train: pre.fitTransform(train.features), labels: train.labels, nClasses: train.classes.length, test: pre.transform(test.features) };
}

const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

interface Row {
  case: string;
  trainRows: number;
  cols: number;
  search: string;
  fitSeconds: number;
  scoreCpuSeconds: number;
  scoreWallSeconds: number;
  rowsPerSecond: number;
  sameAsBrute: boolean | null;
}

async function measure(c: Case): Promise<Row[]> {
  const out: Row[] = [];
  let brute: Float64Array | undefined;
  for (const algorithm of ['brute', 'kd_tree', 'auto'] as const) {
    const model = new Knn({ nNeighbors: k, algorithm });
    let t = cpu();
    await model.fit(c.train, c.labels, { nClasses: c.nClasses });
    const fitSeconds = cpu() - t;
    t = cpu();
    const wall = performance.now();
    const proba = model.predictProba(c.test);
    const scoreWallSeconds = (performance.now() - wall) / 1000;
    const scoreCpuSeconds = cpu() - t;
    brute ??= proba;
    const same = proba.length === brute.length && proba.every((v, i) => v === brute![i]);
    const search = algorithm === 'auto' ? `auto (${model.algorithm})` : algorithm;
    out.push({ case: c.name, trainRows: c.train.rows, cols: c.train.cols, search, fitSeconds, scoreCpuSeconds, scoreWallSeconds, rowsPerSecond: c.test.rows / scoreCpuSeconds, sameAsBrute: algorithm === 'brute' ? null : same });
    log(`${c.name} ${search}: ${int(c.test.rows / scoreCpuSeconds)} rows/s`);
  }
  // The JavaScript scan (where WebAssembly cannot be built): neighbours only, checked against the kernel's.
  const points = Float64Array.from(distinctRows(c.train, c.labels, c.nClasses).X.data);
  const js = new BruteSearch(points, c.train.cols, { wasm: false });
  const t = cpu();
  const wall = performance.now();
  const got = js.searchRows(c.test.data, c.test.rows, k);
  const scoreWallSeconds = (performance.now() - wall) / 1000;
  const scoreCpuSeconds = cpu() - t;
  const want = new BruteSearch(points, c.train.cols).searchRows(c.test.data, c.test.rows, k);
  const same = ['dist', 'idx', 'found'].every((f) => {
    const x = got[f as keyof typeof got];
    const y = want[f as keyof typeof want];
    return x.length === y.length && x.every((v, i) => v === y[i]);
  });
  out.push({ case: c.name, trainRows: c.train.rows, cols: c.train.cols, search: 'brute, JavaScript (neighbours only)', fitSeconds: NaN, scoreCpuSeconds, scoreWallSeconds, rowsPerSecond: c.test.rows / scoreCpuSeconds, sameAsBrute: same });
  return out;
}

/** scikit-learn on the same matrices, one job and one BLAS thread; undefined when Python cannot run. */
function sklearn(c: Case): Row[] | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'bench-knn-'));
  try {
    writeFileSync(join(dir, 'train.f32'), c.train.data);
    writeFileSync(join(dir, 'labels.i32'), c.labels);
    writeFileSync(join(dir, 'test.f32'), c.test.data);
    const script = `
import json, sys, time, numpy as np
from sklearn.neighbors import KNeighborsClassifier
d, cols, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
X = np.fromfile(d + '/train.f32', dtype=np.float32).reshape(-1, cols).astype(np.float64)
y = np.fromfile(d + '/labels.i32', dtype=np.int32)
Q = np.fromfile(d + '/test.f32', dtype=np.float32).reshape(-1, cols).astype(np.float64)
out = []
for algo in ['brute', 'kd_tree', 'ball_tree', 'auto']:
    t = time.process_time(); m = KNeighborsClassifier(n_neighbors=k, algorithm=algo, n_jobs=1).fit(X, y); fit = time.process_time() - t
    t = time.process_time(); w = time.perf_counter(); m.predict_proba(Q); s = time.process_time() - t; ws = time.perf_counter() - w
    out.append({'search': algo + (' (' + m._fit_method + ')' if algo == 'auto' else ''), 'fit': fit, 'cpu': s, 'wall': ws})
print(json.dumps(out))
`;
    const threads = { OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
    const run = spawnSync(PYTHON, ['-c', script, dir, String(c.train.cols), String(k)], { encoding: 'utf8', env: { ...process.env, ...threads }, maxBuffer: 1 << 24 });
    if (run.status !== 0) {
      log(`NOTE: scikit-learn anchor failed: ${run.stderr.trim().split('\n').pop()}`);
      return undefined;
    }
    const res = JSON.parse(run.stdout.trim().split('\n').pop()!) as { search: string; fit: number; cpu: number; wall: number }[];
    return res.map((r) => ({ case: c.name, trainRows: c.train.rows, cols: c.train.cols, search: `scikit-learn ${r.search}`, fitSeconds: r.fit, scoreCpuSeconds: r.cpu, scoreWallSeconds: r.wall, rowsPerSecond: c.test.rows / r.cpu, sameAsBrute: null }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const cases: (() => Promise<Case>)[] = [
  async () => {
    const { train, test } = await phishingSplit();
    return prepare('phishing', train, test);
  },
];
const tools = resolve(root, '../shared/tools');
const { data, schema } = scaleData(outDir, tools, rows, 2, log);
let scale: Dataset | undefined;
let order: Int32Array | undefined;
for (const cap of caps) {
  cases.push(async () => {
    if (!scale) {
      scale = (await readCsv(data, await loadSchema(schema))).dataset;
      order = stratifiedOrder(scale.labels, 42);
    }
    // Training rows: a stratified prefix, as the search's row cap takes; scored rows: the order's tail.
    return prepare(`scale ${int(cap)}`, takeDataset(scale, order!.subarray(0, cap)), takeDataset(scale, order!.subarray(order!.length - scoreRows)));
  });
}

let results: Row[] = [];
for (const make of cases) {
  const c = await make();
  results = results.concat(await measure(c), a['skip-anchor'] ? [] : (sklearn(c) ?? []));
}
const same = (r: Row) => (r.sameAsBrute === null ? '' : r.sameAsBrute ? 'yes' : 'NO');
console.log(`KNN scoring, k = ${k}, one thread (CPU seconds; wall time depends on machine load)`);
console.log(
  table(
    ['case', 'train rows', 'cols', 'search', 'fit s', 'score CPU s', 'score wall s', 'rows/s (CPU)', 'same as brute'],
    results.map((r) => [r.case, int(r.trainRows), r.cols, r.search, fmt(r.fitSeconds, 2), fmt(r.scoreCpuSeconds, 2), fmt(r.scoreWallSeconds, 2), int(r.rowsPerSecond), same(r)]),
  ),
);
if (a.out) writeFileSync(a.out, `${JSON.stringify({ k, scoreRows, results }, null, 2)}\n`);
if (results.some((r) => r.sameAsBrute === false)) process.exitCode = 1;
