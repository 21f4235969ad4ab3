/**
 * npm run bench:models -- --out <file.json> [--cv5] [--families gradient_boosting,random_forest] [--rows 100000] [--time-budget 4m]
 *
 * Searches every model family on data/phishing.csv with the runs' search (successive halving,
 * 3-fold stratified CV on the train rows of scikit-learn's split, within the time budget: default
 * TM_TIME_BUDGET_SECONDS, 0 = none), refits each family's best config, scores the exact baseline
 * test rows and times in-process scoring of 100k rows; prints our figures beside scikit-learn's.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { classificationReport } from '../core/metrics/classification-report.js';
import { tfReady } from '../core/models/tf/backend.js';
import { DEFAULT_FAMILIES } from '../core/tuning/families.js';
import { loadConfig, TimeBudget } from '../schema/index.js';
import { fitPipeline } from '../core/tuning/grid-search.js';
import { searchAll } from './lib/search-all.js';
import { crossValidate } from '../core/tuning/cross-validate.js';
import { phishingSplit } from './lib/phishing-split.js';
import { loadSklearnBaseline } from './lib/sklearn-baseline.js';
import { fmt, int, table } from './lib/table.js';
import { rowsPerSecond, sampleRows } from './lib/throughput.js';

const { values: args } = parseArgs({
  options: {
    out: { type: 'string' },
    cv5: { type: 'boolean', default: false },
    families: { type: 'string' },
    rows: { type: 'string', default: '100000' },
    'time-budget': { type: 'string' },
  },
});
const budgetSeconds = TimeBudget.parse(args['time-budget'] ?? loadConfig().TM_TIME_BUDGET_SECONDS);

const log = (msg: string) => process.stderr.write(`${msg}\n`);
const families = args.families ? DEFAULT_FAMILIES.filter((f) => args.families!.split(',').includes(f.kind)) : DEFAULT_FAMILIES;
const backend = await tfReady();
const { all, train, test } = await phishingSplit();
log(`data: ${train.labels.length} train / ${test.labels.length} test rows; tfjs backend: ${backend}`);

let lastLine = '';
const started = performance.now();
const { results, failures, skipped } = await searchAll(families, train, {
  folds: 3,
  seed: 42,
  deadline: budgetSeconds > 0 ? Date.now() + budgetSeconds * 1000 : undefined,
  onProgress: ({ family, done, total }) => {
    const line = `search ${family}: ${done}/${total}`;
    if (line !== lastLine) process.stderr.write(`\r${(lastLine = line).padEnd(50)}`);
  },
});
const totalSearchSeconds = (performance.now() - started) / 1000;
process.stderr.write('\n');
for (const f of failures) log(`FAILED ${f.family}: ${f.error}`);
for (const f of skipped) log(`SKIPPED ${f.family}: ${f.reason}`);
for (const note of results.flatMap((r) => r.notes)) log(`note: ${note}`);

const big = sampleRows(test.features, Number(args.rows));
const models = results.map((r) => {
  const report = classificationReport(test.labels, r.pipeline.predictProba(test.features), test.classes, test.positiveClass);
  log(`timing ${r.family} on ${big.nRows} rows`);
  return {
    family: r.family,
    params: r.params,
    cvF1: r.cvF1,
    cvF1Sd: r.cvF1Sd,
    test: { accuracy: report.accuracy, precision: report.precision, recall: report.recall, f1: report.f1, rocAuc: report.rocAuc, prAuc: report.prAuc },
    searchSeconds: r.searchSeconds,
    fitSeconds: r.fitSeconds,
    configsScored: r.configs.length,
    rows: r.rows,
    notes: r.notes,
    predictRowsPerSecond: rowsPerSecond(r.pipeline, big),
  };
});
const best = models.reduce((a, b) => (b.cvF1 > a.cvF1 ? b : a));

let cv5: { family: string; params: unknown; f1Mean: number; f1Sd: number; folds: number[] }[] | undefined;
if (args.cv5) {
  cv5 = [];
  for (const r of results) {
    log(`5-fold CV of ${r.family} best config on all ${all.labels.length} rows`);
    const family = families.find((f) => f.kind === r.family)!;
    const scores = await crossValidate((d) => fitPipeline(family, r.params, d), all, 5, 42);
    cv5.push({ family: r.family, params: r.params, f1Mean: scores.mean, f1Sd: scores.sd, folds: scores.folds });
  }
}

const sk = loadSklearnBaseline();
const ours = models.map((m) => [
  `threatmatrix ${m.family}${m === best ? ' *' : ''}`,
  JSON.stringify(m.params),
  fmt(m.cvF1),
  fmt(m.test.f1),
  fmt(m.test.accuracy),
  fmt(m.test.rocAuc),
  fmt(m.searchSeconds, 1),
  fmt(m.fitSeconds, 3),
  int(m.predictRowsPerSecond),
]);
const theirs = sk.models.map((m) => [
  `scikit-learn ${m.name}`,
  m.params,
  '-',
  fmt(m.f1),
  fmt(m.accuracy),
  fmt(m.rocAuc),
  fmt(m.searchSeconds, 1),
  fmt(m.fitSeconds, 3),
  int(m.rowsPerSecond100k),
]);
console.log(table(['model', 'params', 'cv F1', 'test F1', 'acc', 'ROC-AUC', 'search s', 'refit s', '100k rows/s'], [...ours, ...theirs]));
const skSearch = sk.models.reduce((s, m) => s + (m.searchSeconds ?? 0), 0);
console.log(`\ntotal search: threatmatrix ${totalSearchSeconds.toFixed(1)} s (${models.length} families, budget ${budgetSeconds || 'none'} s) vs scikit-learn ${skSearch.toFixed(1)} s (grid searches summed)`);
console.log(`best: ${best.family} test F1 ${fmt(best.test.f1)} (phishing positive), ${int(best.predictRowsPerSecond)} rows/s`);
if (cv5) {
  console.log(`\n5-fold stratified CV, all rows, F1 (phishing positive):`);
  console.log(
    table(
      ['model', 'F1 mean ± sd'],
      [
        ...cv5.map((c) => [`threatmatrix ${c.family}`, `${fmt(c.f1Mean)} ± ${fmt(c.f1Sd)}`]),
        ...Object.entries(sk.cv5).map(([k, v]) => [`scikit-learn ${k}`, `${fmt(v.mean)} ± ${fmt(v.sd)}`]),
      ],
    ),
  );
}

if (args.out) {
  const report = {
    models,
    best,
    totalSearchSeconds,
    failures,
    skipped,
    budgetSeconds,
    cv5,
    sklearn: sk,
    environment: { node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, tfBackend: backend, date: new Date().toISOString() },
  };
  writeFileSync(args.out, `${JSON.stringify(report, null, 2)}\n`);
  log(`wrote ${args.out}`);
}
