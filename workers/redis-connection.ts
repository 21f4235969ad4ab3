import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Config } from '../schema/config.js';
import { describeSeeds, parseClusterSeeds, type ClusterSeeds } from '../schema/redis-cluster.js';
import { onRedisError } from './redis-errors.js';

/** A single Redis or a Redis Cluster client: BullMQ and threatmatrix's own keys take either. */
export type RedisClient = Redis | Cluster;

/** Where Redis is: REDIS_URL, or the TM_REDIS_CLUSTER seed nodes when set (a plain URL string = single node). */
export type RedisTarget = string | Pick<Config, 'REDIS_URL' | 'TM_REDIS_CLUSTER'>;

/**
 * What a connection is for. Workers block on Redis and must retry forever
 * (`maxRetriesPerRequest: null`); producers (CLI, API) fail fast when Redis is down; a probe
 * answers within a second or not at all and never reconnects.
 */
export type RedisRole = 'worker' | 'producer' | 'probe';

const NODE_OPTIONS: Record<RedisRole, RedisOptions> = {
  worker: { maxRetriesPerRequest: null },
  producer: { maxRetriesPerRequest: 1, connectTimeout: 5_000 },
  probe: { maxRetriesPerRequest: 0, connectTimeout: 1_000 },
};

/** The cluster seeds of a target, undefined for a single Redis. */
export function clusterSeedsOf(target: RedisTarget): ClusterSeeds | undefined {
  if (typeof target === 'string' || !target.TM_REDIS_CLUSTER) return undefined;
  const seeds = parseClusterSeeds(target.TM_REDIS_CLUSTER);
  // loadConfig refused a bad value already: this is a caller that built its config by hand.
  if ('error' in seeds) throw new Error(`TM_REDIS_CLUSTER: ${seeds.error}`);
  return seeds;
}

/** Where the target is, for logs and messages: `host:port` or `cluster a:1, b:2` (never credentials). */
export function describeRedis(target: RedisTarget): string {
  const seeds = clusterSeedsOf(target);
  if (seeds) return `Redis Cluster ${describeSeeds(seeds)} (TM_REDIS_CLUSTER)`;
  return `${new URL(typeof target === 'string' ? target : target.REDIS_URL).host} (REDIS_URL)`;
}

function clusterClient(seeds: ClusterSeeds, role: RedisRole): Cluster {
  const options: ClusterOptions = {
    lazyConnect: role !== 'worker',
    enableOfflineQueue: role === 'worker',
    redisOptions: {
      ...NODE_OPTIONS[role],
      ...(seeds.username ? { username: seeds.username } : {}),
      ...(seeds.password ? { password: seeds.password } : {}),
      ...(seeds.tls ? { tls: {} } : {}),
    },
    ...(role === 'probe' ? { clusterRetryStrategy: () => null } : {}),
  };
  const cluster = new Cluster(seeds.nodes, options);
  if (role === 'producer') {
    // BullMQ treats a Cluster in status 'connect' (slots known, ready check still running) as
    // ready and sends INFO at once, which a cluster without an offline queue refuses: queue the
    // commands of that short window only, and keep failing fast whenever the cluster is down.
    Object.defineProperty(cluster.options, 'enableOfflineQueue', { get: () => cluster.status === 'connect' });
  }
  return cluster;
}

/**
 * The one place threatmatrix opens Redis connections: a single node from REDIS_URL, or an ioredis
 * Cluster when TM_REDIS_CLUSTER is set. Worker and producer connections log their errors through
 * onRedisError; a probe's are silent (its caller reports the outcome).
 */
export function redisConnection(url: string, role: RedisRole): Redis;
export function redisConnection(target: RedisTarget, role: RedisRole): RedisClient;
export function redisConnection(target: RedisTarget, role: RedisRole): RedisClient {
  const seeds = clusterSeedsOf(target);
  const url = typeof target === 'string' ? target : target.REDIS_URL;
  const client: RedisClient = seeds
    ? clusterClient(seeds, role)
    : new Redis(url, role === 'worker' ? NODE_OPTIONS.worker : { ...NODE_OPTIONS[role], lazyConnect: true, enableOfflineQueue: false, ...(role === 'probe' ? { retryStrategy: () => null } : {}) });
  return client.on('error', role === 'probe' ? () => undefined : onRedisError);
}
