import type { MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import { logAccess } from './access-log.js';
import { authorizer, type ApiKeys } from './auth.js';
import { ApiError, errorResponse } from './errors.js';
import { jsonBodyGuard } from './json-body.js';
import type { ApiMetrics } from './metrics.js';
import { assignRequestId } from './request-id.js';
import type { RouteRoles } from './route-roles.js';

const CHALLENGE = { bearer: 'Bearer realm="threatmatrix"', basic: 'Basic realm="threatmatrix", charset="UTF-8"' };

/**
 * What every request goes through before its route, as one middleware (each Hono middleware step
 * costs microseconds, more than scoring a record): a request id, the API key check for the role
 * the matched route declares (see RouteRoles), the JSON body checks on /v1 routes, and after the
 * route the request count and latency and the access log line.
 */
export function frontDoor(o: { keys: ApiKeys; metrics: ApiMetrics; maxJsonBytes: number; roles: RouteRoles; log?: Logger }): MiddlewareHandler {
  const authorize = authorizer(o.keys);
  const guard = jsonBodyGuard(o.maxJsonBytes);
  const door: MiddlewareHandler = async (c, next) => {
    const started = performance.now();
    const finishId = assignRequestId(c);
    try {
      const { role, challenge } = o.roles.of(c);
      try {
        authorize(role, c.req.header('authorization'));
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) c.header('www-authenticate', CHALLENGE[challenge]);
        throw err;
      }
      await (c.req.path.startsWith('/v1/') ? guard(c, next) : next());
    } catch (err) {
      // Refused here, before any route: answer with the error shape (routes' own errors never get here).
      c.res = errorResponse(err, c, o.log);
    }
    finishId?.();
    o.metrics.observe(c, started);
    if (o.log) logAccess(o.log, c, started);
  };
  o.roles.allowMiddleware(door);
  return door;
}
