import { timingSafeEqual, createHash } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { ApiError } from './errors.js';

export type Role = 'predict' | 'admin';

/** API keys per role; an admin key may also predict. */
export interface ApiKeys {
  predict: string[];
  admin: string[];
}

// Hashing both sides first gives equal-length buffers, so the comparison time says nothing about the key.
const digest = (s: string) => createHash('sha256').update(s).digest();
/** Whether `given` is one of `keys`, in time independent of where they differ. */
export const keyMatches = (given: string, keys: string[]) => matchesDigest(digest(given), keys.map(digest));
const matchesDigest = (given: Buffer, keys: Buffer[]) => keys.some((k) => timingSafeEqual(given, k));

/**
 * Bearer-token check for a role: 401 without a (valid) key, 403 with a key of another role.
 * With no keys configured at all the route is open (the server refuses to start that way on a
 * non-loopback address).
 */
export function requireRole(role: Role, keys: ApiKeys): MiddlewareHandler {
  const open = keys.predict.length === 0 && keys.admin.length === 0;
  const admin = keys.admin.map(digest);
  const predict = keys.predict.map(digest);
  return async (c, next) => {
    if (!open) {
      const header = c.req.header('authorization') ?? '';
      const token = /^Bearer\s+(.+)$/i.exec(header)?.[1];
      if (!token) throw new ApiError(401, 'unauthorized', 'send an API key as "Authorization: Bearer <key>"');
      const given = digest(token);
      const isAdmin = matchesDigest(given, admin);
      const isPredict = isAdmin || matchesDigest(given, predict);
      if (!isPredict) throw new ApiError(401, 'unauthorized', 'unknown API key');
      if (role === 'admin' && !isAdmin) throw new ApiError(403, 'forbidden', 'this route needs an admin key');
    }
    await next();
  };
}

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
