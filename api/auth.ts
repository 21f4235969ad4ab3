import crypto, { timingSafeEqual } from 'node:crypto';
import { ApiError } from './errors.js';

export type Role = 'predict' | 'admin';

/** API keys per role; an admin key may also predict. */
export interface ApiKeys {
  predict: string[];
  admin: string[];
}

// Hashing both sides first gives equal-length buffers, so the comparison time says nothing about
// the key. crypto.hash (Node >= 20.12) is the one-shot form, without a Hash object per call.
const digest: (s: string) => Buffer = crypto.hash ? (s) => crypto.hash('sha256', s, 'buffer') : (s) => crypto.createHash('sha256').update(s).digest();
const matchesDigest = (given: Buffer, keys: Buffer[]) => keys.some((k) => timingSafeEqual(given, k));
/** Whether `given` is one of `keys`, in time independent of where they differ. */
export const keyMatches = (given: string, keys: string[]) => matchesDigest(digest(given), keys.map(digest));

/** The role each API path needs (a prefix and everything under it); other paths are open. */
const ROLES: [prefix: string, role: Role][] = [
  ['/v1/predict', 'predict'],
  ['/v1/batches', 'predict'],
  ['/v1/models', 'admin'],
  ['/v1/training-runs', 'admin'],
  ['/v1/retrain-schedule', 'admin'],
];

export function roleFor(path: string): Role | undefined {
  for (const [prefix, role] of ROLES) {
    if (path.startsWith(prefix) && (path.length === prefix.length || path[prefix.length] === '/')) return role;
  }
  return undefined;
}

/**
 * Bearer-token check for the role `path` needs: throws 401 without a (valid) key, 403 with a key
 * of another role. With no keys configured at all every route is open (the server refuses to
 * start that way on a non-loopback address).
 */
export function authorizer(keys: ApiKeys): (path: string, authorization: string | undefined) => void {
  const open = keys.predict.length === 0 && keys.admin.length === 0;
  const admin = keys.admin.map(digest);
  const predict = keys.predict.map(digest);
  return (path, authorization) => {
    const role = roleFor(path);
    if (open || !role) return;
    const token = /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1];
    if (!token) throw new ApiError(401, 'unauthorized', 'send an API key as "Authorization: Bearer <key>"');
    const given = digest(token);
    const isAdmin = matchesDigest(given, admin);
    if (!isAdmin && !matchesDigest(given, predict)) throw new ApiError(401, 'unauthorized', 'unknown API key');
    if (role === 'admin' && !isAdmin) throw new ApiError(403, 'forbidden', 'this route needs an admin key');
  };
}

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
