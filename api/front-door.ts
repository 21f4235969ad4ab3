import type { MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import { authorizer, type ApiKeys } from './auth.js';
import { errorResponse } from './errors.js';
import { jsonBodyGuard } from './json-body.js';
import type { ApiMetrics } from './metrics.js';
import { assignRequestId } from './request-id.js';

/**
 * What every request goes through before its route, as one middleware (each Hono middleware step
 * costs microseconds, more than scoring a record): a request id, the API key check for the role
 * the path needs, the JSON body checks on /v1 routes, and after the route the request count and latency.
 */
export function frontDoor(o: { keys: ApiKeys; metrics: ApiMetrics; maxJsonBytes: number; log?: Logger }): MiddlewareHandler {
  const authorize = authorizer(o.keys);
  const guard = jsonBodyGuard(o.maxJsonBytes);
  return async (c, next) => {
    const started = performance.now();
    const finishId = assignRequestId(c);
    try {
      authorize(c.req.path, c.req.header('authorization'));
      await (c.req.path.startsWith('/v1/') ? guard(c, next) : next());
    } catch (err) {
      // Refused here, before any route: answer with the error shape (routes' own errors never get here).
      c.res = errorResponse(err, c, o.log);
    }
    finishId?.();
    o.metrics.observe(c, started);
  };
}
