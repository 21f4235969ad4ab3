/**
 * npx tsx bench/boost-fit.ts --data F.csv --schema S.yaml [--native|--onehot] [--rounds 100 --depth 6 --lr 0.3]
 *                            [--test-rows T.json] [--multi one_per_class|multi_output] [--l2 0]
 *
 * One gradient boosting fit at XGBoost's configuration (maxDepth and maxLeafNodes 2^depth,
 * minSamplesLeaf 1 and minChildWeight 1 as XGBoost's defaults, no early stopping) on a seeded stratified 80/20 split (seed 42), or on the test rows of `--test-rows` ({test_indices: [...]},
 * e.g. scikit-learn's split as the anchor used it: the two splits' ROC-AUCs differ by a few 1e-4), for comparison with
 * ../shared/tools/scale_anchor.py on the same file. Categoricals reach the model natively (one
 * code column each, the default) or one-hot. Prints one JSON line on stdout:
 * {fitWallSeconds, fitCpuSeconds, rocAuc, f1, predictRowsPerSecond, rows, columns, mode}.
 */
import { parseArgs } from 'node:util';
import { readCsv } from '../core/data/csv-reader.js';
import { takeDataset } from '../core/data/frame.js';
import { readFileSync } from 'node:fs';
import { complement, stratifiedSplit } from '../core/data/split.js';
import { classificationReport } from '../core/metrics/classification-report.js';
import { GradientBoosting } from '../core/models/gradient-boosting.js';
import { loadSchema } from '../core/training/load-dataset.js';
import { Preprocessor } from '../core/transform/preprocessor.js';

const { values: args } = parseArgs({
  options: {
    data: { type: 'string' },
    schema: { type: 'string' },
    native: { type: 'boolean', default: false },
    onehot: { type: 'boolean', default: false },
    rounds: { type: 'string', default: '100' },
    depth: { type: 'string', default: '6' },
    lr: { type: 'string', default: '0.3' },
    l2: { type: 'string', default: '0' },
    multi: { type: 'string', default: 'one_per_class' },
    'test-rows': { type: 'string' },
  },
});

function fail(message: string): never {
  process.stderr.write(`boost-fit: ${message}\n`);
  process.exit(2);
}

function positiveNumber(name: string, text: string, integer: boolean): number {
  const v = Number(text);
  if (!(v > 0) || (integer && !Number.isInteger(v))) fail(`--${name} must be a ${integer ? 'whole ' : ''}number above 0 (got "${text}")`);
  return v;
}

if (!args.data || !args.schema) fail('--data F.csv and --schema S.yaml are required');
if (args.native && args.onehot) fail('--native and --onehot exclude each other');
const rounds = positiveNumber('rounds', args.rounds!, true);
const depth = positiveNumber('depth', args.depth!, true);
const lr = positiveNumber('lr', args.lr!, false);
const mode = args.onehot ? 'onehot' : 'native';
const l2 = Number(args.l2);
if (!(l2 >= 0)) fail(`--l2 must be a number >= 0 (got "${args.l2}")`);
if (args.multi !== 'one_per_class' && args.multi !== 'multi_output') fail(`--multi takes one_per_class or multi_output (got "${args.multi}")`);

const clock = () => ({ wall: performance.now(), cpu: process.cpuUsage() });
const since = (t: ReturnType<typeof clock>) => {
  const cpu = process.cpuUsage(t.cpu);
  return { wall: (performance.now() - t.wall) / 1000, cpu: (cpu.user + cpu.system) / 1e6 };
};
const round = (v: number, digits: number) => Number(v.toFixed(digits));

const schema = await loadSchema(args.schema!);
const { dataset } = await readCsv(args.data!, schema);
const testRows = args['test-rows'] ? Int32Array.from((JSON.parse(readFileSync(args['test-rows'], 'utf8')) as { test_indices: number[] }).test_indices) : null;
const split = testRows ? { train: complement(dataset.labels.length, testRows), test: testRows } : stratifiedSplit(dataset.labels, 0.2, 42);
const train = takeDataset(dataset, split.train);
const test = takeDataset(dataset, split.test);

const pre = new Preprocessor({ nativeCategoricals: mode === 'native' });
const model = new GradientBoosting({
  maxIter: rounds,
  maxDepth: depth,
  maxLeafNodes: 2 ** depth,
  learningRate: lr,
  // XGBoost's defaults: no row-count floor, min_child_weight 1.
  minSamplesLeaf: 1,
  minChildWeight: 1,
  earlyStopping: false,
  l2Regularization: l2,
  multiStrategy: args.multi,
});
const t = clock();
const X = pre.fitTransform(train.features);
await model.fit(X, train.labels, { nClasses: dataset.classes.length, categorical: pre.categoricalFeatures });
const fit = since(t);

const p0 = performance.now();
const proba = model.predictProba(pre.transform(test.features));
const predictSeconds = (performance.now() - p0) / 1000;
const report = classificationReport(test.labels, proba, dataset.classes, dataset.positiveClass);

process.stdout.write(
  `${JSON.stringify({
    fitWallSeconds: round(fit.wall, 2),
    fitCpuSeconds: round(fit.cpu, 2),
    rocAuc: round(report.rocAuc, 4),
    f1: round(report.selectionF1, 4),
    predictRowsPerSecond: Math.round(test.labels.length / predictSeconds),
    rows: dataset.labels.length,
    columns: X.cols,
    mode,
    multiStrategy: args.multi,
  })}\n`,
);
