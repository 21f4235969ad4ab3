import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { redactUri } from '../../core/security/redact.js';
import { parseDatasetSchema, TimeBudget, type Config } from '../../schema/index.js';
import { redisConnection } from '../queues.js';
import { RetrainScheduler, retrainTemplate, type RetrainSchedule, type RetrainTemplate } from '../retrain.js';
import { CliError } from './cli-error.js';
import { sourceFromArg } from '../../schema/source-arg.js';

const USAGE = `usage: threatmatrix schedule show
       threatmatrix schedule set --cron "0 3 * * *" [--tz UTC] [--data d] [--collection c] [--schema f]
                                 [--families a,b] [--time-budget 4m]
       threatmatrix schedule off
The fleet's retraining schedule (one per queue prefix). Only these commands and the admin route
change it; data and schema default to TM_RETRAIN_DATA and TM_RETRAIN_SCHEMA.
`;

/** One schedule, as `schedule show` prints it. */
export function describeSchedule(s: RetrainSchedule): string {
  const t = s.template;
  // URIs without credentials, whatever the stored entry holds.
  const source = t.source.kind === 'csv' ? t.source.path : t.source.kind === 's3' ? redactUri(t.source.uri) : `${redactUri(t.source.uri)} ${t.source.db}.${t.source.collection}`;
  return [
    `cron "${s.cron}" (${s.tz}), next ${s.next ? new Date(s.next).toISOString() : 'unknown'}`,
    `trains ${t.modelName} on ${source}${t.families ? `, families ${t.families.join(',')}` : ''}${t.timeBudgetSeconds !== undefined ? `, budget ${t.timeBudgetSeconds} s` : ''}`,
    `set by ${s.setBy} at ${s.setAt}`,
  ].join('\n');
}

/** `threatmatrix schedule show|set|off`. */
export async function scheduleCommand(argv: string[], config: Config): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb !== 'show' && verb !== 'set' && verb !== 'off') {
    process.stderr.write(USAGE);
    return 2;
  }
  const template = verb === 'set' ? await templateFromArgs(rest, config) : undefined;
  const conn = redisConnection(config, 'producer');
  await conn.connect();
  const scheduler = new RetrainScheduler(conn, config.TM_QUEUE_PREFIX);
  try {
    if (verb === 'show') {
      const s = await scheduler.show();
      process.stdout.write(s ? `${describeSchedule(s)}\n` : `no retraining schedule (queue prefix ${config.TM_QUEUE_PREFIX})\n`);
    } else if (verb === 'off') {
      const removed = await scheduler.off();
      process.stdout.write(removed ? 'retraining schedule removed\n' : 'there was no retraining schedule\n');
    } else {
      const s = await scheduler.set(template!, `cli:${userInfo().username}`);
      process.stdout.write(`retraining schedule set\n${describeSchedule(s)}\n`);
    }
    return 0;
  } finally {
    await scheduler.close();
    conn.disconnect();
  }
}

async function templateFromArgs(argv: string[], config: Config): Promise<{ cron: string; tz: string; template: RetrainTemplate }> {
  const { values: a } = parseArgs({
    args: argv,
    options: {
      cron: { type: 'string' },
      tz: { type: 'string', default: config.TM_RETRAIN_TZ },
      data: { type: 'string' },
      collection: { type: 'string' },
      schema: { type: 'string' },
      families: { type: 'string' },
      'time-budget': { type: 'string' },
    },
  });
  if (!a.cron) throw new CliError('schedule set needs --cron, e.g. --cron "0 3 * * *"');
  const defaults = await retrainTemplate(config);
  let { modelName, schema } = defaults;
  if (a.schema) {
    const text = await readFile(a.schema, 'utf8');
    modelName = parseDatasetSchema(text, a.schema).name;
    schema = parseYaml(text) as Record<string, unknown>;
  }
  const budget = a['time-budget'] === undefined ? undefined : TimeBudget.safeParse(a['time-budget']);
  if (budget && !budget.success) throw new CliError(`--time-budget ${a['time-budget']}: must be seconds or a duration such as 90s, 4m, 1h`);
  return {
    cron: a.cron,
    tz: a.tz!,
    template: {
      modelName,
      schema,
      source: a.data ? sourceFromArg(a.data, a.collection ?? modelName) : defaults.source,
      families: a.families?.split(',').map((f) => f.trim()).filter(Boolean),
      timeBudgetSeconds: budget?.data ?? defaults.timeBudgetSeconds,
    },
  };
}
