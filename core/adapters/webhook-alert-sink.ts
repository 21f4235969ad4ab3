import { createHmac } from 'node:crypto';
import type { Alert, AlertSink } from '../ports/alert-sink.js';

export interface WebhookOptions {
  /** HMAC-SHA256 key: the body is signed in `X-Threatmatrix-Signature: sha256=<hex>` over `<timestamp>.<body>`. */
  secret?: string;
  /** Attempts per alert (network errors, 408, 429 and 5xx are retried). Default 4. */
  attempts?: number;
  /** Wait before the second attempt, doubled each time. Default 500 ms. */
  backoffMs?: number;
  /** Per-attempt timeout. Default 10,000 ms. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** Signature header value of `body` sent at `timestamp` (seconds): what a receiver recomputes. */
export function signAlert(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** POSTs each alert as JSON to a URL, signed and retried; the URL's credentials never reach an error message. */
export class WebhookAlertSink implements AlertSink {
  readonly kind = 'webhook';

  constructor(
    private readonly url: string,
    private readonly opts: WebhookOptions = {},
  ) {
    const parsed = new URL(url);
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new Error(`alert webhook: ${parsed.protocol} is not http or https`);
  }

  /** Scheme and host only: webhook paths and queries often hold tokens (Slack, Teams). */
  private get where(): string {
    const u = new URL(this.url);
    return `${u.protocol}//${u.host}`;
  }

  async send(alert: Alert): Promise<void> {
    const body = JSON.stringify(alert);
    const attempts = this.opts.attempts ?? 4;
    let wait = this.opts.backoffMs ?? 500;
    let last = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const timestamp = Math.floor(Date.now() / 1000);
      const headers: Record<string, string> = { 'content-type': 'application/json', 'x-threatmatrix-alert-id': alert.id, 'x-threatmatrix-timestamp': String(timestamp) };
      if (this.opts.secret) headers['x-threatmatrix-signature'] = signAlert(this.opts.secret, timestamp, body);
      try {
        const res = await (this.opts.fetch ?? fetch)(this.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000) });
        await res.body?.cancel();
        if (res.ok) return;
        last = `HTTP ${res.status}`;
        if (!(res.status === 408 || res.status === 429 || res.status >= 500)) break;
      } catch (err) {
        last = (err as Error).name === 'TimeoutError' ? 'timed out' : (err as Error).message;
      }
      if (attempt < attempts) await new Promise((r) => setTimeout(r, wait));
      wait *= 2;
    }
    throw new Error(`alert webhook ${this.where} refused alert ${alert.id}: ${last}`);
  }
}
