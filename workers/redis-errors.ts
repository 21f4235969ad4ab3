import type { Logger } from 'pino';
import { logThrottle } from './log-throttle.js';

let log: Pick<Logger, 'warn'> | undefined;
const allow = logThrottle(60_000);

/** Where Redis connection errors go (the command's logger); until set, stderr. */
export function setRedisErrorLog(logger: Pick<Logger, 'warn'>): void {
  log = logger;
}

/**
 * The 'error' listener of every Redis connection and BullMQ object. Without one, ioredis and
 * BullMQ print every failed reconnect (hundreds a minute, with stacks); the clients reconnect on
 * their own, so one line a minute says Redis is unreachable and how many errors were dropped.
 */
export function onRedisError(err: Error): void {
  const { log: now, suppressed } = allow('redis');
  if (!now) return;
  const fields = { err: err.message, ...(suppressed ? { suppressed } : {}) };
  if (log) log.warn(fields, 'Redis unreachable: reconnecting (logged once a minute)');
  else process.stderr.write(`Redis unreachable: ${err.message}: reconnecting (logged once a minute)\n`);
}

/** Attaches onRedisError to BullMQ objects and connections; returns the first. */
export function quietRedis<T extends { on(event: 'error', listener: (err: Error) => void): unknown }>(first: T, ...more: { on(event: 'error', listener: (err: Error) => void): unknown }[]): T {
  for (const o of [first, ...more]) o.on('error', onRedisError);
  return first;
}
