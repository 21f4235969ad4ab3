import { rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { privateRedisRecord, reachableRedis } from '../../workers/redis-reachable.js';
import type { Logger } from 'pino';
import type { Config } from '../../schema/index.js';
import { trainCommand } from '../../workers/cli/train-command.js';
import { untilSignal } from '../../workers/cli/worker-command.js';
import { runWorkers } from '../../workers/run-workers.js';
import { startApi } from '../start-api.js';
import { adminKeyLine, withAdminKey } from './admin-key.js';
import { redisAnswers, startPrivateRedis, type PrivateRedis } from './private-redis.js';

/** The configured Redis, or a private redis-server when nothing answers and one is installed. */
async function redisFor(config: Config): Promise<{ url: string; owned?: PrivateRedis }> {
  // A configured cluster is used as it is (a private single node would not be what was asked for).
  if (config.TM_REDIS_CLUSTER) return { url: (await reachableRedis(config)).url };
  if (await redisAnswers(config.REDIS_URL)) return { url: config.REDIS_URL };
  const owned = await startPrivateRedis();
  if (!owned) throw new Error(`no Redis answers at ${new URL(config.REDIS_URL).host} and redis-server is not installed: start Redis or set REDIS_URL`);
  // Recorded so that train, runs and worker started beside this process find it (see reachableRedis).
  const record = privateRedisRecord(config);
  if (record) await mkdir(dirname(record), { recursive: true }).then(() => writeFile(record, JSON.stringify({ url: owned.url, pid: process.pid })));
  const where = record ? `; other threatmatrix commands on this artifact store use it (recorded in ${record})` : '';
  process.stderr.write(`no Redis answered at ${new URL(config.REDIS_URL).host}: started a private redis-server at ${owned.url} (it keeps nothing when threatmatrix stops${where})\n`);
  return {
    url: owned.url,
    owned: {
      url: owned.url,
      stop() {
        if (record) rmSync(record, { force: true });
        owned.stop();
      },
    },
  };
}

/**
 * `threatmatrix start` (`npm start`): the embedded default. API and workers in one process on the
 * local artifact store, Redis from REDIS_URL (or a private one); trains the first model when
 * none exists, then prints where everything is, and the admin key when it generated one.
 */
export async function startCommand(argv: string[], configured: Config, log: Logger): Promise<number> {
  const { values: a } = parseArgs({ args: argv, options: { 'shutdown-seconds': { type: 'string', default: '10' } } });
  const shutdownMs = Number(a['shutdown-seconds']) * 1000;
  const stopped = untilSignal(log);
  const redis = await redisFor(configured);
  const { config: keyed, generated } = withAdminKey(configured);
  const config: Config = { ...keyed, REDIS_URL: redis.url };
  const workers = await runWorkers(config, log);
  const api = await startApi(config, log, { pollMs: 2_000 });
  try {
    if (!api.models.model) {
      process.stderr.write(`no production ${config.TM_MODEL_NAME} model yet: training the first one on ${config.TM_RETRAIN_DATA}\n`);
      const code = await trainCommand(['--follow', '--local-worker', 'never', '--data', config.TM_RETRAIN_DATA, '--schema', config.TM_RETRAIN_SCHEMA], config, log);
      if (code !== 0) process.stderr.write('the first training run failed: the API is up, but /v1/predict answers 503 until a model is promoted\n');
      await api.models.refresh();
    }
    const served = api.models.model;
    process.stdout.write(
      [
        '',
        `threatmatrix is up (${served ? `serving ${served.name} v${served.version}` : 'no model yet'})`,
        `  API         ${api.url}`,
        `  Docs        ${api.url}/docs   (OpenAPI: ${api.url}/openapi.json)`,
        `  Bull Board  ${api.url}/admin/queues   (user admin, password: the admin key)`,
        `  Metrics     ${api.url}/metrics`,
        adminKeyLine(generated),
        `  Try         npx threatmatrix predict data/phishing.csv -o predictions.csv --url ${api.url} --key ${generated ?? '$KEY'}`,
        '',
      ].join('\n') + '\n',
    );
    await stopped;
  } finally {
    // api.close waits on Redis for its queues: bounded, so a lost Redis cannot hold the exit.
    await Promise.race([api.close(), new Promise((r) => setTimeout(r, 5_000).unref())]);
    await workers.close(shutdownMs);
    redis.owned?.stop();
  }
  return 0;
}
