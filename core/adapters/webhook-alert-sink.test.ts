import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Alert } from '../ports/alert-sink.js';
import { signAlert, WebhookAlertSink } from './webhook-alert-sink.js';

const alert: Alert = { id: 'phishing:3:w1', model: 'phishing', modelVersion: 3, windowId: 'w1', rules: [{ rule: 'featureDrift', value: 0.6, limit: 0.5, message: '18 of 30 features drifted' }], at: '2026-11-30T05:00:00Z' };

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

/** A receiver that answers the statuses in `plan` in turn (then 200) and keeps what it got. */
async function receiver(plan: number[]): Promise<{ url: string; got: Received[] }> {
  const got: Received[] = [];
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => {
      got.push({ headers: req.headers, body });
      res.statusCode = plan.shift() ?? 200;
      res.end();
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/T0SECRET/abc`, got };
}

describe('WebhookAlertSink', () => {
  it('posts the alert as JSON with a signature the receiver can check', async () => {
    const { url, got } = await receiver([]);
    await new WebhookAlertSink(url, { secret: 's3cret' }).send(alert);
    expect(got).toHaveLength(1);
    expect(JSON.parse(got[0].body)).toEqual(alert);
    const ts = Number(got[0].headers['x-threatmatrix-timestamp']);
    expect(got[0].headers['x-threatmatrix-signature']).toBe(signAlert('s3cret', ts, got[0].body));
    expect(got[0].headers['x-threatmatrix-signature']).not.toBe(signAlert('other', ts, got[0].body));
    expect(got[0].headers['x-threatmatrix-alert-id']).toBe(alert.id);
  });

  it('retries server errors and rate limits until one goes through', async () => {
    const { url, got } = await receiver([503, 429]);
    await new WebhookAlertSink(url, { backoffMs: 5 }).send(alert);
    expect(got).toHaveLength(3);
    expect(new Set(got.map((g) => g.body)).size).toBe(1);
  });

  it('does not retry a refusal, and its error leaves out the path that holds the token', async () => {
    const { url, got } = await receiver([400]);
    const err = await new WebhookAlertSink(url, { backoffMs: 5 }).send(alert).catch((e: Error) => e);
    expect(got).toHaveLength(1);
    expect(String(err)).toMatch(/HTTP 400/);
    expect(String(err)).not.toMatch(/T0SECRET/);
  });

  it('gives up after its attempts on a server that keeps failing', async () => {
    const { url, got } = await receiver([500, 500, 500, 500]);
    await expect(new WebhookAlertSink(url, { attempts: 3, backoffMs: 5 }).send(alert)).rejects.toThrow(/HTTP 500/);
    expect(got).toHaveLength(3);
  });

  it('refuses a URL that is not http(s)', () => {
    expect(() => new WebhookAlertSink('file:///etc/passwd')).toThrow(/not http or https/);
  });
});
