/**
 * npm run bench:promotion [-- --rows 1000000 --columns 44 --resamples 1000]
 *
 * What the register stage's promotion decision costs at scale (issue 13): row hashes of a
 * `--rows` x `--columns` dataset (40 numeric, the rest categorical), storing them as a sorted set,
 * finding the test rows outside a training set of 80 % of them, and the paired bootstrap of
 * candidate minus production on `--rows` test rows for each metric (subsampled to its default
 * 20,000 rows). Wall and CPU seconds per step.
 */
import { parseArgs } from 'node:util';
import { Rng } from '../core/data/rng.js';
import type { Column, Dataset } from '../core/data/frame.js';
import { pairedBootstrap } from '../core/metrics/paired-bootstrap.js';
import type { PromotionMetric } from '../core/metrics/weighted-metrics.js';
import { encodeRowSet, decodeRowSet, rowHashes, rowsOutside } from '../core/registry/training-rows.js';
import { fmt, table } from './lib/table.js';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '1000000' }, columns: { type: 'string', default: '44' }, resamples: { type: 'string', default: '1000' } } });
const n = Number(values.rows);
const width = Number(values.columns);
const resamples = Number(values.resamples);
const rng = new Rng(1);

const columns: Column[] = Array.from({ length: width }, (_, j): Column =>
  j < 40
    ? { kind: 'numeric', name: `x${j}`, values: Float64Array.from({ length: n }, () => Math.round(rng.normal() * 1000) / 100) }
    : { kind: 'categorical', name: `c${j}`, codes: Int32Array.from({ length: n }, () => rng.int(40)), categories: Array.from({ length: 40 }, (_, k) => `cat-${k}`) },
);
const labels = Int32Array.from({ length: n }, () => (rng.next() < 0.3 ? 1 : 0));
const data: Dataset = { features: { nRows: n, columns }, labels, classes: ['benign', 'threat'], positiveClass: 1 };

const rows: string[][] = [];
function step<T>(what: string, f: () => T): T {
  const cpu = process.cpuUsage();
  const t = performance.now();
  const out = f();
  const used = process.cpuUsage(cpu);
  rows.push([what, fmt((performance.now() - t) / 1000, 2), fmt((used.user + used.system) / 1e6, 2)]);
  return out;
}

const hashes = step(`row hashes, ${n} x ${width}`, () => rowHashes(data));
const train = hashes.subarray(0, Math.floor(n * 0.8));
const bytes = step(`sorted set of ${train.length} training rows`, () => encodeRowSet(train));
const set = decodeRowSet(bytes);
const outside = step(`test rows outside it (${n} looked up)`, () => rowsOutside(hashes, set));
rows.push([`(${outside.length} rows outside, set ${fmt(bytes.byteLength / 2 ** 20, 1)} MiB)`, '', '']);

// Production: probabilities with some skill; the candidate a little better.
const proba = (skill: number, seed: number) => {
  const r = new Rng(seed);
  const p = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) {
    const s = Math.min(0.999, Math.max(0.001, 0.5 + (labels[i] ? skill : -skill) + (r.next() - 0.5) * 0.8));
    p[i * 2 + 1] = Math.round(s * 1000) / 1000;
    p[i * 2] = 1 - p[i * 2 + 1];
  }
  return p;
};
const champion = proba(0.2, 2);
const candidate = proba(0.201, 3);
for (const metric of ['f1', 'macroF1', 'accuracy', 'rocAuc', 'prAuc'] as PromotionMetric[]) {
  const r = step(`paired bootstrap ${metric}, ${n} rows, ${resamples} resamples`, () => pairedBootstrap(metric, labels, candidate, champion, 2, 1, { resamples }));
  rows.push([`  difference ${fmt(r.difference, 5)}, 95% lower bound ${fmt(r.lower, 5)} (resampled ${r.resampledRows} rows)`, '', '']);
}
console.log(table(['step', 'wall s', 'CPU s'], rows));
