import { Cluster } from 'ioredis';
import type { RedisClient } from './redis-connection.js';
import { quietRedis } from './redis-errors.js';

/** The Redis channel on which a change to a served model (its threshold, its production version) is announced. */
export const modelChangesChannel = (prefix: string) => `${prefix}:threatmatrix:model-changes`;

/**
 * Announces model changes to every API process (Redis pub/sub): a process that hears one reloads at
 * once rather than at its next poll. Announcing is best effort: polling still picks the change up.
 */
export class ModelChanges {
  private subscriber?: RedisClient;

  constructor(
    private readonly connection: RedisClient,
    private readonly prefix: string,
  ) {}

  /** Tells every listening process that model `name` changed. */
  async announce(name: string): Promise<void> {
    // A lazy connection (no command sent on it yet) connects first: without an offline queue it would refuse.
    if (this.connection.status === 'wait') await this.connection.connect().catch(() => undefined);
    await this.connection.publish(modelChangesChannel(this.prefix), name);
  }

  /** Calls `onChange(name)` for each announcement (on its own connection: a subscribed one can do nothing else). */
  async listen(onChange: (name: string) => void): Promise<void> {
    // Waits for Redis rather than failing (the caller does not wait): ioredis subscribes again after each reconnect.
    const c = this.connection;
    // A cluster's duplicate queues commands while it connects by default; a single Redis is told to.
    const sub = (this.subscriber = quietRedis(c instanceof Cluster ? c.duplicate() : c.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null })));
    sub.on('message', (_channel: string, name: string) => onChange(name));
    await sub.subscribe(modelChangesChannel(this.prefix));
  }

  close(): void {
    this.subscriber?.disconnect();
  }
}
