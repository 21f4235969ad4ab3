import crypto from 'node:crypto';
import type { Context } from 'hono';
import { routePath } from 'hono/route';
import type { Logger } from 'pino';

/**
 * A key's id for logs: the first 12 hex digits of its SHA-256, never the key. An operator finds
 * which key it is with `printf %s "$KEY" | sha256sum`. Taken from a Bearer token or Basic password.
 */
export function keyIdOf(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const bearer = /^Bearer\s+(.+)$/i.exec(authorization)?.[1];
  let key = bearer;
  if (!key) {
    const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(authorization)?.[1];
    const pair = basic ? Buffer.from(basic, 'base64').toString('utf8') : undefined;
    key = pair?.includes(':') ? pair.slice(pair.indexOf(':') + 1) : undefined;
  }
  return key ? crypto.createHash('sha256').update(key).digest('hex').slice(0, 12) : undefined;
}

/** One line per finished request: method, route pattern, status, duration, request id, key id. */
export function logAccess(log: Pick<Logger, 'info'>, c: Context, startedMs: number): void {
  log.info(
    {
      method: c.req.method,
      route: routePath(c, -1),
      path: c.req.path.length > 200 ? `${c.req.path.slice(0, 200)}...` : c.req.path,
      status: c.res.status,
      ms: Math.round((performance.now() - startedMs) * 100) / 100,
      requestId: c.get('requestId' as never) as string | undefined,
      keyId: keyIdOf(c.req.header('authorization')),
    },
    'request',
  );
}
