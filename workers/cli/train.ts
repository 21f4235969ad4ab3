/**
 * `npm run train:local`: a whole training run in this process, without Redis: the same stage code
 * the queue workers run (core/pipeline/run-locally.ts), adapters from the configuration.
 *
 *   npm run train:local -- [--data file.csv|s3://...|mongodb://...] [--schema file.yaml] [--families a,b] [--folds 3]
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { parse as parseYaml } from 'yaml';
import { isPermanent } from '../../core/errors.js';
import { runLocally } from '../../core/pipeline/run-locally.js';
import { loadConfig, parseDatasetSchema, RunSpec } from '../../schema/index.js';
import { stageDepsFrom } from '../wiring.js';
import { metricsTable } from './metrics-table.js';
import { sourceFromArg } from './source-arg.js';

const { values: a } = parseArgs({
  options: {
    data: { type: 'string', default: 'data/phishing.csv' },
    schema: { type: 'string', default: 'schema/phishing.yaml' },
    collection: { type: 'string' },
    families: { type: 'string' },
    folds: { type: 'string', default: '3' },
  },
});

const config = loadConfig();
const log = pino({ name: 'threatmatrix-train', level: config.LOG_LEVEL });

async function main(): Promise<void> {
  const text = await readFile(a.schema!, 'utf8');
  const name = parseDatasetSchema(text, a.schema).name;
  const run = RunSpec.parse({
    runId: `local-${new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}-${randomUUID().slice(0, 6)}`,
    modelName: name,
    source: sourceFromArg(a.data!, a.collection ?? name),
    schema: parseYaml(text) as Record<string, unknown>,
    families: a.families?.split(','),
    folds: Number(a.folds),
  });
  const result = await runLocally(run, stageDepsFrom(config, log), (stage) => log.info({ runId: run.runId, stage }, 'stage'));
  process.stdout.write(`${metricsTable(run.runId, result)}\n`);
}

main().catch((err: unknown) => {
  log.error({ err: (err as Error).message }, 'training failed');
  process.exit(isPermanent(err) ? 2 : 1);
});
