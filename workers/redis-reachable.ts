import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { Config } from '../schema/index.js';

/** Whether a Redis answers PING at `url` within a second. */
export async function redisAnswers(url: string): Promise<boolean> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, connectTimeout: 1_000, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

/** Where `threatmatrix start` records the private redis-server it started, in a local artifact store. */
export const privateRedisRecord = (config: Pick<Config, 'TM_ARTIFACTS'>): string | undefined =>
  config.TM_ARTIFACTS.startsWith('s3://') ? undefined : join(config.TM_ARTIFACTS, 'private-redis.json');

/** No Redis answers: the command cannot run (one line, not a stack). */
export class RedisUnreachableError extends Error {
  override name = 'RedisUnreachableError';
}

/**
 * The Redis a command should use: REDIS_URL when it answers, else the private redis-server a
 * running `threatmatrix start` recorded in the artifact store (`note` says so); else a
 * RedisUnreachableError naming both.
 */
export async function reachableRedis(config: Config): Promise<{ url: string; note?: string }> {
  if (await redisAnswers(config.REDIS_URL)) return { url: config.REDIS_URL };
  const record = privateRedisRecord(config);
  const recorded = record ? await readFile(record, 'utf8').then((t) => (JSON.parse(t) as { url?: string }).url, () => undefined) : undefined;
  if (recorded && (await redisAnswers(recorded))) return { url: recorded, note: `using the private Redis of threatmatrix start at ${new URL(recorded).host} (recorded in ${record})` };
  throw new RedisUnreachableError(`no Redis answers at ${new URL(config.REDIS_URL).host} (REDIS_URL): start Redis or set REDIS_URL${record ? `; no running threatmatrix start recorded a private one in ${record}` : ''}`);
}
