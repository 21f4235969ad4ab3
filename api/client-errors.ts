import type { ServerType } from '@hono/node-server';
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';

const REASONS: Record<string, [number, string, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large', 'headers_too_large', 'the request line and headers are over the server limit'],
  HPE_URI_TOO_LONG: [414, 'URI Too Long', 'uri_too_long', 'the URL is over the server limit'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', 'request_timeout', 'the request took too long to arrive'],
};

/**
 * Answers requests Node's HTTP parser refuses before any route sees them (a 100 KB URL, broken
 * framing) in the API's error shape; Node's default answer has an empty body.
 */
export function answerClientErrors(server: ServerType): void {
  (server as Server).on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable || err.code === 'ECONNRESET') return void socket.destroy();
    const [status, reason, code, message] = REASONS[err.code ?? ''] ?? [400, 'Bad Request', 'bad_request', 'the request is not valid HTTP'];
    const body = JSON.stringify({ error: { code, message, details: [{ field: 'request', rule: 'http-syntax', message }] } });
    socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  });
}
