import { randomUUID } from 'node:crypto';
import type { HttpBindings } from '@hono/node-server';
import type { Context } from 'hono';
import { REQUEST_ID_PATTERN as VALID } from '../schema/jobs.js';

/**
 * Gives the request an id (the caller's `X-Request-Id` when it is sane, else a new UUID),
 * available as `c.get('requestId')` and echoed in the `X-Request-Id` response header. On Node the
 * header goes straight onto the outgoing message: setting it through Hono would build a Headers
 * object per request and cost more than the rest of a prediction. Returns a function that sets
 * the header on the final response when there is no Node message (tests through `app.request`).
 */
export function assignRequestId(c: Context): (() => void) | undefined {
  const given = c.req.header('x-request-id');
  const id = given && VALID.test(given) ? given : randomUUID();
  c.set('requestId' as never, id as never);
  const outgoing = (c.env as Partial<HttpBindings> | undefined)?.outgoing;
  if (outgoing) outgoing.setHeader('x-request-id', id);
  else return () => c.header('x-request-id', id);
  return undefined;
}
