/**
 * threatmatrix command line.
 *
 *   threatmatrix train [--data csv|s3://...|mongodb://...] [--schema file] [--families a,b] [--follow]
 *   threatmatrix worker [--stages a,b] [--concurrency n]
 *   threatmatrix import <csv> --mongo mongodb://host/db [--collection name]
 *   threatmatrix runs | models
 */
import pino from 'pino';
import { ConfigError, loadConfig, SchemaFileError } from '../../schema/index.js';
import { DataError } from '../../core/errors.js';
import { importCommand } from './import-command.js';
import { modelsCommand, runsCommand } from './list-commands.js';
import { trainCommand } from './train-command.js';
import { workerCommand } from './worker-command.js';

const USAGE = `usage: threatmatrix <train|worker|import|runs|models> [options]
  train   enqueue a training run (--data, --schema, --families, --folds, --name, --follow)
  worker  run stage workers (--stages, --concurrency, --shutdown-seconds)
  import  load a CSV into MongoDB after validation (<csv> --mongo uri/db --collection name)
  runs    list runs in the artifact store
  models  list registered model versions`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const log = pino({ name: 'threatmatrix', level: config.LOG_LEVEL }, pino.destination(2));
  switch (command) {
    case 'train':
      return trainCommand(rest, config, log);
    case 'worker':
      return workerCommand(rest, config, log);
    case 'import':
      return importCommand(rest, log);
    case 'runs':
      return runsCommand(config);
    case 'models':
      return modelsCommand(config);
    default:
      process.stderr.write(`${USAGE}\n`);
      return command === undefined || command === '--help' ? 0 : 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof DataError || err instanceof SchemaFileError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
