import crypto, { timingSafeEqual } from 'node:crypto';
import { ApiError } from './errors.js';

/** What a route needs: nothing, a predict (or admin) key, or an admin key. */
export type Role = 'public' | 'predict' | 'admin';

/** API keys per role; an admin key may also predict. */
export interface ApiKeys {
  predict: string[];
  admin: string[];
}

/** The security scheme every protected route names in OpenAPI. */
export const SECURITY_SCHEME = 'apiKey';

/**
 * A route's role as its OpenAPI `security` (set it in createRoute): `[]` is public; the role goes in
 * the scheme's scope list, which OpenAPI 3.1 allows for role names. The server enforces what this says.
 */
export const access = {
  public: [] as Record<string, string[]>[],
  predict: [{ [SECURITY_SCHEME]: ['predict'] }],
  admin: [{ [SECURITY_SCHEME]: ['admin'] }],
} satisfies Record<Role, Record<string, string[]>[]>;

/** The role an OpenAPI `security` declares; undefined when it declares none (such a route is refused). */
export function roleOfSecurity(security: Record<string, string[]>[] | undefined): Role | undefined {
  if (!security) return undefined;
  if (security.length === 0) return 'public';
  const scopes = security.flatMap((s) => s[SECURITY_SCHEME] ?? []);
  if (scopes.includes('predict')) return 'predict';
  // Any other requirement (admin, or something unknown) needs the strongest key.
  return 'admin';
}

// Hashing both sides first gives equal-length buffers, so the comparison time says nothing about
// the key. crypto.hash (Node >= 20.12) is the one-shot form, without a Hash object per call.
const digest: (s: string) => Buffer = crypto.hash ? (s) => crypto.hash('sha256', s, 'buffer') : (s) => crypto.createHash('sha256').update(s).digest();
const matchesDigest = (given: Buffer, keys: Buffer[]) => keys.some((k) => timingSafeEqual(given, k));
/** Whether `given` is one of `keys`, in time independent of where they differ. */
export const keyMatches = (given: string, keys: string[]) => matchesDigest(digest(given), keys.map(digest));

/** The key a request carries: `Bearer <key>`, or Basic with user `admin` (browsers, Bull Board). */
function keyOf(authorization: string | undefined): string | undefined {
  const m = /^(Bearer|Basic)\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!m) return undefined;
  if (m[1].toLowerCase() === 'bearer') return m[2];
  const decoded = Buffer.from(m[2], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon > 0 && decoded.slice(0, colon) === 'admin' ? decoded.slice(colon + 1) : undefined;
}

/**
 * The key check for a route's role: throws 401 without a (valid) key, 403 with a key of another
 * role or on a route that declared no role (`undefined`: refused whatever the key). With no keys
 * configured at all, predict routes are open (loopback only: the server checks) and admin routes
 * closed, since no key could open them.
 */
export function authorizer(keys: ApiKeys): (role: Role | undefined, authorization: string | undefined) => void {
  const noKeys = keys.predict.length === 0 && keys.admin.length === 0;
  const admin = keys.admin.map(digest);
  const predict = keys.predict.map(digest);
  return (role, authorization) => {
    if (role === 'public') return;
    if (role === undefined) throw new ApiError(403, 'undeclared_route', 'this route declares no role, so it is refused');
    if (role === 'predict' && noKeys) return;
    if (role === 'admin' && admin.length === 0) throw new ApiError(401, 'unauthorized', 'no admin key is configured on this server (set TM_API_KEYS_ADMIN)');
    const key = keyOf(authorization);
    if (!key) throw new ApiError(401, 'unauthorized', 'send an API key as "Authorization: Bearer <key>"');
    const given = digest(key);
    const isAdmin = matchesDigest(given, admin);
    if (!isAdmin && !matchesDigest(given, predict)) throw new ApiError(401, 'unauthorized', 'unknown API key');
    if (role === 'admin' && !isAdmin) throw new ApiError(403, 'forbidden', 'this route needs an admin key');
  };
}

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
