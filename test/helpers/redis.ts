import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { Redis } from 'ioredis';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A BullMQ prefix no other test uses. */
export const testPrefix = (name: string) => `tmtest-${name}-${randomUUID().slice(0, 8)}`;

/** Deletes every key under a prefix. */
export async function dropPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
}

/** After a test that ran a process of ours: its Redis keys and its scratch directory go. */
export async function dropTestState(prefix: string, dir?: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  await dropPrefix(redis, prefix);
  redis.disconnect();
  if (dir) await rm(dir, { recursive: true, force: true });
}
