/**
 * `npm run train:local`: a whole training run in this process, without Redis: the same stage code
 * the queue workers run (core/pipeline/run-locally.ts), adapters from the configuration.
 *
 *   npm run train:local -- [--data file.csv|s3://...|mongodb://...] [--schema file.yaml] [--families a,b] [--folds 3]
 *                          [--test-size 0.2] [--refit-all] [--allow-partial]
 */
import { parseArgs } from 'node:util';
import pino from 'pino';
import { isPermanent } from '../../core/errors.js';
import { runLocally } from '../../core/pipeline/run-locally.js';
import { loadConfig } from '../../schema/index.js';
import { stageDepsFrom } from '../wiring.js';
import { metricsTable } from './metrics-table.js';
import { RUN_OPTIONS, runSpecFromArgs } from './run-args.js';

const { values: a } = parseArgs({ options: RUN_OPTIONS });

const config = loadConfig();
const log = pino({ name: 'threatmatrix-train', level: config.LOG_LEVEL });

async function main(): Promise<void> {
  const run = await runSpecFromArgs(a, 'local', { timeBudgetSeconds: config.TM_TIME_BUDGET_SECONDS });
  const result = await runLocally(run, stageDepsFrom(config, log), (stage) => log.info({ runId: run.runId, stage }, 'stage'));
  process.stdout.write(`${metricsTable(run.runId, result)}\n`);
  // A partial run (some family failed) fails the command unless --allow-partial, as `train` does.
  if (result.failures.length && !run.allowPartial) process.exitCode = 1;
}

main().catch((err: unknown) => {
  log.error({ err: (err as Error).message }, 'training failed');
  process.exit(isPermanent(err) ? 2 : 1);
});
