import pino, { type Logger } from 'pino';
import { ConfigError, loadConfig, SchemaFileError, type Config } from '../../schema/index.js';
import { DataError } from '../../core/errors.js';
import { StoreMismatchError } from '../store-marker.js';
import { CliError } from './cli-error.js';
import { importCommand } from './import-command.js';
import { setRedisErrorLog } from '../redis-errors.js';
import { reachableRedis, RedisUnreachableError } from '../redis-reachable.js';
import { keepServingOnFaults } from './process-guard.js';
import { modelsCommand, runsCommand } from './list-commands.js';
import { schemaCommand } from './schema-command.js';
import { trainCommand } from './train-command.js';
import { workerCommand } from './worker-command.js';

/** A subcommand: its one-line help and what it runs (resolves with the exit code). */
export interface Command {
  help: string;
  /** A long-running command (start, serve, worker): a fault that escaped every handler is logged, not fatal. */
  serves?: boolean;
  /** Needs Redis: REDIS_URL, or the private one a running `threatmatrix start` recorded; else one line and exit 3. */
  redis?: boolean | ((argv: string[]) => boolean);
  run(argv: string[], config: Config, log: Logger): Promise<number>;
}

/** The commands a worker install has. */
export const WORKER_COMMANDS: Record<string, Command> = {
  train: { redis: true, help: 'enqueue a training run (--data, --schema, --families, --folds, --test-size, --refit-all, --allow-partial, --name, --follow, --unless-served)', run: trainCommand },
  worker: { help: 'serve the stage and predict queues (--stages, --concurrency, --shutdown-seconds)', serves: true, redis: true, run: workerCommand },
  import: { help: 'load a CSV into MongoDB after validation (<csv> --mongo uri/db --collection name)', run: (argv, _c, log) => importCommand(argv, log) },
  runs: { redis: (argv) => argv[0] === 'cancel', help: 'list runs in the artifact store; runs cancel <id> stops one', run: (argv, config) => runsCommand(argv, config) },
  schema: { help: 'infer a dataset schema from a CSV (infer <csv> --label col [--threat x] [-o schema.yaml])', run: (argv) => schemaCommand(argv) },
  models: { help: 'list registered model versions', run: (_a, config) => modelsCommand(config) },
};

/** Parses the configuration once, runs one command and exits with its code; input errors print one line. */
export function runCli(argv: string[], commands: Record<string, Command>): void {
  const usage = `usage: threatmatrix <${Object.keys(commands).join('|')}> [options]\n${Object.entries(commands)
    .map(([name, c]) => `  ${name.padEnd(8)}${c.help}`)
    .join('\n')}`;
  const main = async (): Promise<number> => {
    const [name, ...rest] = argv;
    const command = name === undefined ? undefined : commands[name];
    if (!command) {
      process.stderr.write(`${usage}\n`);
      return name === undefined || name === '--help' ? 0 : 2;
    }
    let config: Config;
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
    setRedisErrorLog(log);
    if (typeof command.redis === 'function' ? command.redis(rest) : command.redis) {
      try {
        const redis = await reachableRedis(config);
        if (redis.note) process.stderr.write(`${redis.note}\n`);
        config = { ...config, REDIS_URL: redis.url };
      } catch (err) {
        if (!(err instanceof RedisUnreachableError)) throw err;
        process.stderr.write(`${err.message}\n`);
        return 3;
      }
    }
    if (command.serves) keepServingOnFaults(log);
    return command.run(rest, config, log);
  };
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (err instanceof DataError || err instanceof SchemaFileError || err instanceof CliError || err instanceof StoreMismatchError) {
        process.stderr.write(`${err.message}\n`);
        process.exit(2);
      }
      process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
