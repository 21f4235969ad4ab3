import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../schema/index.js';
import { clusterSeedsOf, describeRedis, redisConnection, type RedisClient, type RedisTarget } from './redis-connection.js';

/**
 * Whether the client's Redis serves now: a single node answers PING; a cluster reports
 * `cluster_state:ok` (every slot served) and answers for `prefix`'s slot when one is given.
 */
async function serves(redis: RedisClient, connect: () => Promise<void>, prefix?: string): Promise<boolean> {
  if (redis.status !== 'ready') await connect();
  if (!redis.isCluster) return (await redis.ping()) === 'PONG';
  const info = String(await redis.cluster('INFO'));
  if (!/^cluster_state:ok\s*$/m.test(info)) return false;
  if (prefix !== undefined) await redis.exists(`${prefix}:readiness`);
  return true;
}

/** Whether a Redis (or Redis Cluster) answers at `target` within about a second. */
export async function redisAnswers(target: RedisTarget): Promise<boolean> {
  const redis = redisConnection(target, 'probe');
  try {
    return await serves(redis, () => redis.connect());
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

/**
 * A readiness check for a long-lived process (the API's /readyz): one probe connection, opened
 * again when it dropped, and an answer within `withinMs` (a Redis that went away must not hold a
 * request). On a cluster it also checks the slot of the queue prefix is served.
 */
export function redisReadiness(target: RedisTarget, prefix: string, withinMs = 1_000) {
  const redis = redisConnection(target, 'probe');
  // Concurrent checks share one connection attempt (a second connect() while connecting is refused).
  let connecting: Promise<void> | undefined;
  const connect = () => (connecting ??= redis.connect().finally(() => (connecting = undefined)));
  const check = () => serves(redis, connect, clusterSeedsOf(target) ? prefix : undefined).catch(() => false);
  return {
    ok: () => Promise.race([check(), new Promise<boolean>((r) => setTimeout(() => r(false), withinMs).unref())]),
    close: () => redis.disconnect(),
  };
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
  // A cluster is what the operator asked for: no private single-node fallback.
  if (config.TM_REDIS_CLUSTER) {
    if (await redisAnswers(config)) return { url: config.REDIS_URL };
    throw new RedisUnreachableError(`no ${describeRedis(config)} answers with every slot served: start it or fix TM_REDIS_CLUSTER`);
  }
  if (await redisAnswers(config.REDIS_URL)) return { url: config.REDIS_URL };
  const record = privateRedisRecord(config);
  const recorded = record ? await readFile(record, 'utf8').then((t) => (JSON.parse(t) as { url?: string }).url, () => undefined) : undefined;
  if (recorded && (await redisAnswers(recorded))) return { url: recorded, note: `using the private Redis of threatmatrix start at ${new URL(recorded).host} (recorded in ${record})` };
  throw new RedisUnreachableError(`no Redis answers at ${new URL(config.REDIS_URL).host} (REDIS_URL): start Redis or set REDIS_URL${record ? `; no running threatmatrix start recorded a private one in ${record}` : ''}`);
}
