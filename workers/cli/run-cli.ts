import type { Logger } from 'pino';
import type { Config } from '../../schema/config.js';
import { CliError } from './cli-error.js';

/** A subcommand: its one-line help and what it runs (resolves with the exit code). */
export interface Command {
  help: string;
  /** A long-running command (start, serve, worker): a fault that escaped every handler is logged, not fatal. */
  serves?: boolean;
  /** Needs Redis: REDIS_URL, or the private one a running `threatmatrix start` recorded; else one line and exit 3. */
  redis?: boolean | ((argv: string[]) => boolean);
  run(argv: string[], config: Config, log: Logger): Promise<number>;
}

/**
 * The commands a worker install has. Each loads its module when it runs: loading them all (BullMQ,
 * the AWS SDK, TensorFlow) cost seconds before even `--help` could answer.
 */
export const WORKER_COMMANDS: Record<string, Command> = {
  train: {
    redis: true,
    help: 'enqueue a training run (--data, --schema, --families, --folds, --test-size, --refit-all, --allow-partial, --name, --follow, --unless-served)',
    run: async (argv, config, log) => (await import('./train-command.js')).trainCommand(argv, config, log),
  },
  worker: {
    help: 'serve the stage and predict queues (--stages, --concurrency, --shutdown-seconds)',
    serves: true,
    redis: true,
    run: async (argv, config, log) => (await import('./worker-command.js')).workerCommand(argv, config, log),
  },
  import: { help: 'load a CSV into MongoDB after validation (<csv> --mongo uri/db --collection name)', run: async (argv, _c, log) => (await import('./import-command.js')).importCommand(argv, log) },
  runs: { redis: (argv) => argv[0] === 'cancel', help: 'list runs in the artifact store; runs cancel <id> stops one', run: async (argv, config) => (await import('./list-commands.js')).runsCommand(argv, config) },
  schema: { help: 'infer a dataset schema from a CSV (infer <csv> --label col [--threat x] [-o schema.yaml])', run: async (argv) => (await import('./schema-command.js')).schemaCommand(argv) },
  models: { help: 'registered model versions; models history | show <v> | pin | unpin [--note why] | import --xgboost model.json --schema s.yaml | export <v> --xgboost out.json | threshold <v> [value | --max-fpr x ...]', run: async (argv, config) => (await import('./list-commands.js')).modelsCommand(argv, config) },
  schedule: { redis: true, help: 'the retraining schedule: show | set --cron "0 3 * * *" [--tz] [--data] [--schema] | off', run: async (argv, config) => (await import('./schedule-command.js')).scheduleCommand(argv, config) },
};

/** Whether `err` is bad input (one line, exit 2) rather than a fault (stack, exit 1). */
async function isInputError(err: unknown): Promise<boolean> {
  const [{ DataError }, { SchemaFileError }, { StoreMismatchError }, { ScheduleError }] = await Promise.all([
    import('../../core/errors.js'),
    import('../../schema/parse-schema.js'),
    import('../store-marker.js'),
    import('../retrain.js'),
  ]);
  return err instanceof DataError || err instanceof SchemaFileError || err instanceof CliError || err instanceof StoreMismatchError || err instanceof ScheduleError;
}

/**
 * Parses the configuration once, runs one command and exits with its code; input errors print one
 * line. Usage is printed before anything else loads (zod and the schemas alone cost most of a second).
 */
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
    const { ConfigError, loadConfig } = await import('../../schema/config.js');
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
    const { cliLogger } = await import('./cli-logger.js');
    // On a terminal, log lines go above any live progress bars (train --follow, start).
    const destination = process.stderr.isTTY ? (await import('./bars-and-logs.js')).stderrBars().stream() : undefined;
    const log = cliLogger(config, destination);
    if (command.redis || command.serves) (await import('../redis-errors.js')).setRedisErrorLog(log);
    if (typeof command.redis === 'function' ? command.redis(rest) : command.redis) {
      const { reachableRedis, RedisUnreachableError } = await import('../redis-reachable.js');
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
    if (command.serves) (await import('./process-guard.js')).keepServingOnFaults(log);
    return command.run(rest, config, log);
  };
  main().then(
    (code) => process.exit(code),
    async (err: unknown) => {
      if (await isInputError(err).catch(() => false)) {
        process.stderr.write(`${(err as Error).message}\n`);
        process.exit(2);
      }
      process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
