import type { RedisClient } from './redis-connection.js';
import type { ArtifactStore } from '../core/ports/artifact-store.js';
import { storeIdentity } from '../core/registry/store-identity.js';

/** A worker pointed at another artifact store than the one its queue prefix already uses. */
export class StoreMismatchError extends Error {
  override name = 'StoreMismatchError';
}

/** The Redis key holding the artifact store a queue prefix uses. */
export const storeMarkerKey = (prefix: string) => `${prefix}:threatmatrix:artifact-store`;

/**
 * Claims the queue prefix for this process's artifact store, or refuses: jobs of one prefix hand
 * each other artifact keys, so a worker on another store would take jobs and fail them (or write
 * models nobody reads). The first process to claim records the store's id and location (never
 * credentials: locations are paths and s3:// URIs); a later one with another id gets a
 * StoreMismatchError that says how to fix or reset it.
 */
export async function claimStoreMarker(redis: RedisClient, prefix: string, store: ArtifactStore): Promise<void> {
  const id = await storeIdentity(store);
  const key = storeMarkerKey(prefix);
  await redis.set(key, JSON.stringify({ id, location: store.location, at: new Date().toISOString() }), 'NX');
  const text = await redis.get(key);
  const marked = text ? (JSON.parse(text) as { id: string; location: string }) : undefined;
  if (!marked || marked.id === id) return;
  throw new StoreMismatchError(
    `refusing to start: queue prefix "${prefix}" is used with the artifact store at ${marked.location} (id ${marked.id}), ` +
      `and this process's TM_ARTIFACTS is ${store.location} (id ${id}); point TM_ARTIFACTS at the same store, ` +
      `use another TM_QUEUE_PREFIX, or delete the Redis key ${key} when the old store is retired`,
  );
}
