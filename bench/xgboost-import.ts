/**
 * npm run bench:xgboost-import [-- --rows 1000000 --skip-anchor]
 *
 * Scoring speed of imported XGBoost models (issue 14 item 4) on `--rows` synthetic rows: the
 * phishing fixture (40 trees, 30 ternary features, no missing values) and the missing-value fixture
 * (25 trees, 4 features, 20 % NaN: the routed forest with negated columns). Both through the
 * model's predictProba on a ready matrix (the Forest kernel and its thread pool). XGBoost's own
 * inplace_predict (1 and 2 threads, Debian's python3-xgboost) scores the same matrices in the same
 * run unless --skip-anchor, and the largest |difference| of the probabilities is printed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { allocFloat32, type Matrix } from '../core/data/matrix.js';
import { Rng } from '../core/data/rng.js';
import { importXgboost } from '../core/models/xgboost/import-xgboost.js';
import { parseDatasetSchema } from '../schema/index.js';
import { fmt, int, table } from './lib/table.js';

const { values: a } = parseArgs({ options: { rows: { type: 'string', default: '1000000' }, 'skip-anchor': { type: 'boolean', default: false } } });
const rows = Number(a.rows);
const FIX = 'test/fixtures/xgboost';
const ANCHOR = `
import sys, time, json, numpy as np, xgboost as xgb
model, data, rows, cols, out = sys.argv[1:6]
X = np.fromfile(data, dtype=np.float32).reshape(int(rows), int(cols))
res = {}
for t in (1, 2):
    b = xgb.Booster(model_file=model); b.set_param({'nthread': t})
    t0 = time.perf_counter(); p = b.inplace_predict(X); res[t] = time.perf_counter() - t0
p.astype(np.float64).tofile(out)
print(json.dumps(res))
`;

function synthetic(name: string, cols: number, draw: (rng: Rng) => number): Matrix {
  const rng = new Rng(14);
  const data = allocFloat32(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = draw(rng);
  return { data, rows, cols };
}

const cases = [
  { name: 'binary-phishing', X: synthetic('phishing', 30, (r) => Math.floor(r.next() * 3) - 1) },
  { name: 'binary-missing', X: synthetic('missing', 4, (r) => (r.next() < 0.2 ? NaN : (r.next() - 0.5) * 4)) },
];
const dir = mkdtempSync(join(tmpdir(), 'tm-bench-xgb-'));
const out: (string | number)[][] = [];
try {
  for (const c of cases) {
    const schema = parseDatasetSchema(readFileSync(join(FIX, c.name, 'schema.yaml'), 'utf8'));
    const { model, summary } = importXgboost(readFileSync(join(FIX, c.name, 'model.json'), 'utf8'), schema);
    model.predictProba({ ...c.X, rows: 1000, data: c.X.data.subarray(0, 1000 * c.X.cols) });
    const t0 = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    const proba = model.predictProba(c.X);
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    let anchor = { one: NaN, two: NaN, diff: NaN };
    if (!a['skip-anchor']) {
      writeFileSync(join(dir, 'x.bin'), c.X.data);
      const r = spawnSync('/usr/bin/python3', ['-c', ANCHOR, join(FIX, c.name, 'model.json'), join(dir, 'x.bin'), String(rows), String(c.X.cols), join(dir, 'p.bin')], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(r.stderr);
      const t = JSON.parse(r.stdout) as Record<string, number>;
      const p = new Float64Array(readFileSync(join(dir, 'p.bin')).buffer.slice(0));
      let diff = 0;
      for (let i = 0; i < rows; i++) diff = Math.max(diff, Math.abs(proba[2 * i + 1] - p[i]));
      anchor = { one: rows / t['1'], two: rows / t['2'], diff };
    }
    out.push([`${c.name} (${summary.trees} trees)`, int(rows), fmt(wall, 2), fmt((cpu.user + cpu.system) / 1e6, 2), int(rows / wall), int(anchor.one), int(anchor.two), anchor.diff.toExponential(1)]);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(table(['model', 'rows', 'wall s', 'CPU s', 'rows/s', 'XGBoost 1 thread rows/s', 'XGBoost 2 threads rows/s', 'max |p - XGBoost|'], out));
process.exit(0);
