/**
 * Local training run: validate -> drift check -> grid search of every family -> holdout
 * evaluation -> model file. Runs in-process on embedded defaults (data/phishing.csv with
 * schema/phishing.yaml, artifacts under ./.threatmatrix). Queue-backed runs come with the workers.
 *
 *   npm start -- [--data file.csv] [--schema file.yaml] [--out dir] [--families a,b] [--folds 3] [--seed 42]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { takeDataset } from '../../core/data/frame.js';
import { stratifiedSplit } from '../../core/data/split.js';
import { DataError } from '../../core/errors.js';
import { classificationReport } from '../../core/metrics/classification-report.js';
import { tfReady } from '../../core/models/tf/backend.js';
import { loadSchema, loadValidatedCsv } from '../../core/training/load-dataset.js';
import { DEFAULT_FAMILIES } from '../../core/tuning/families.js';
import { searchAll } from '../../core/tuning/grid-search.js';
import { driftReport } from '../../core/validation/drift/drift-report.js';
import { SchemaFileError } from '../../schema/index.js';

const log = pino({ name: 'threatmatrix-train' });
const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: 'data/phishing.csv' },
    schema: { type: 'string', default: 'schema/phishing.yaml' },
    out: { type: 'string', default: '.threatmatrix' },
    families: { type: 'string' },
    folds: { type: 'string', default: '3' },
    'test-size': { type: 'string', default: '0.2' },
    seed: { type: 'string', default: '42' },
  },
});

async function main(): Promise<void> {
  const seed = Number(args.seed);
  const runId = `run-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  const dir = join(args.out!, 'runs', runId);
  const save = async (stage: string, name: string, body: unknown) => {
    await mkdir(join(dir, stage), { recursive: true });
    await writeFile(join(dir, stage, name), `${JSON.stringify(body, null, 2)}\n`);
  };

  const schema = await loadSchema(args.schema!);
  const { dataset, report } = await loadValidatedCsv(args.data!, schema, {
    onProgress: (rows) => log.info({ stage: 'ingest', rows }, 'reading'),
  });
  await save('validate', 'report.json', report);
  log.info({ stage: 'validate', rows: report.rows, labelCounts: report.labelCounts, warnings: report.issues.length }, 'data is valid');

  const split = stratifiedSplit(dataset.labels, Number(args['test-size']), seed);
  const train = takeDataset(dataset, split.train);
  const test = takeDataset(dataset, split.test);
  const drift = driftReport(train.features, test.features);
  await save('validate', 'drift.json', drift);
  log.info({ stage: 'validate', driftedColumns: drift.driftedColumns, drifted: drift.drifted }, 'train/test drift');

  const families = args.families ? DEFAULT_FAMILIES.filter((f) => args.families!.split(',').includes(f.kind)) : DEFAULT_FAMILIES;
  log.info({ stage: 'train', tfBackend: await tfReady(), families: families.map((f) => f.kind) }, 'searching');
  let last = '';
  const { results, failures } = await searchAll(families, train, {
    folds: Number(args.folds),
    seed,
    onProgress: ({ family, done, total }) => {
      const pct = Math.floor((10 * done) / total) * 10;
      if (`${family}${pct}` !== last) log.info({ stage: 'train', family, progress: `${done}/${total}` }, `${pct}%`);
      last = `${family}${pct}`;
    },
  });
  for (const f of failures) log.error({ stage: 'train', ...f }, 'family failed');
  if (!results.length) throw new Error('every model family failed');

  const evaluated = results.map((r) => ({
    family: r.family,
    params: r.params,
    cvF1: r.cvF1,
    searchSeconds: r.searchSeconds,
    test: classificationReport(test.labels, r.pipeline.predictProba(test.features), test.classes, test.positiveClass),
    pipeline: r.pipeline,
  }));
  const best = evaluated.reduce((a, b) => (b.cvF1 > a.cvF1 ? b : a));
  await save('evaluate', 'metrics.json', evaluated.map(({ pipeline: _, ...e }) => e));
  await save('model', 'model.json', best.pipeline.toJSON());
  log.info({ stage: 'evaluate', best: best.family, params: best.params, f1: best.test.f1, rocAuc: best.test.rocAuc, dir }, 'done');
}

main().catch((err: unknown) => {
  if (err instanceof DataError || err instanceof SchemaFileError) {
    log.error({ rule: (err as DataError).rule, column: (err as DataError).column }, err.message);
    process.exit(2);
  }
  log.error({ err }, 'training failed');
  process.exit(1);
});
