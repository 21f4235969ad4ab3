import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../api/app.js';
import { ModelHolder } from '../api/serving/model-holder.js';
import { LocalArtifactStore } from '../core/adapters/local-artifact-store.js';
import { ArtifactRegistry } from '../core/registry/artifact-registry.js';
import { PREDICT_QUEUE } from '../schema/batches.js';
import { BatchProducer } from '../workers/batches.js';
import { redisConnection } from '../workers/queues.js';
import { dropPrefix, REDIS_URL, testPrefix } from './helpers/redis.js';
import { listen } from './helpers/served.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// What a person sees in a browser: /docs offline, and Bull Board behind its login prompt.
describe('in a headless browser', () => {
  const ADMIN = 'admin-key-browser';
  const prefix = testPrefix('browser');
  let dir: string;
  let browser: Browser | undefined;
  let http: Awaited<ReturnType<typeof listen>>;
  let producer: BatchProducer;
  const conn = redisConnection(REDIS_URL, 'worker');
  const missing = existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is absent (.ci/run installs Debian's chromium)`;

  beforeAll(async () => {
    if (missing) return console.warn(`\n*** SKIPPED browser tests: ${missing} ***\n`);
    dir = await mkdtemp(join(tmpdir(), 'tm-browser-'));
    const store = new LocalArtifactStore(dir);
    const registry = new ArtifactRegistry(store);
    producer = new BatchProducer(conn, prefix);
    const app = buildApp({
      models: new ModelHolder('phishing', registry, store),
      registry,
      redisOk: async () => true,
      keys: { predict: ['predict-key-browser'], admin: [ADMIN] },
      batches: { store, enqueue: (id, chunks) => producer.enqueue(id, chunks), status: (id) => producer.status(id), queue: producer.predictQueue },
    });
    http = await listen(app.fetch);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await http?.close();
    await producer?.close();
    await dropPrefix(conn, prefix);
    conn.disconnect();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A page whose requests to anywhere but our server are refused and recorded. */
  async function offlinePage(o: { httpCredentials?: { username: string; password: string } } = {}) {
    const context = await browser!.newContext(o);
    const outside: string[] = [];
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(`${http.base}/`)) return route.continue();
      outside.push(url);
      return route.abort();
    });
    return { context, page: await context.newPage(), outside };
  }

  it('renders /docs with the operations list, with no network beyond the server', async (ctx) => {
    if (missing) return ctx.skip();
    const { context, page, outside } = await offlinePage();
    try {
      await page.goto(`${http.base}/docs`);
      await page.locator('.opblock').first().waitFor({ timeout: 30_000 });
      const paths = await page.locator('.opblock-summary-path').allTextContents();
      expect(paths.map((p) => p.replace(/\u200b/g, ''))).toEqual(expect.arrayContaining(['/v1/predict', '/v1/batches']));
      expect(outside).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('asks for a login at Bull Board and, given the admin key, shows the queues', async (ctx) => {
    if (missing) return ctx.skip();
    const anonymous = await fetch(`${http.base}/admin/queues`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    // Chromium sends credentials only when a 401 challenges it with WWW-Authenticate: Basic.
    const { context, page, outside } = await offlinePage({ httpCredentials: { username: 'admin', password: ADMIN } });
    try {
      const res = await page.goto(`${http.base}/admin/queues`);
      expect(res?.status()).toBe(200);
      await page.getByText(PREDICT_QUEUE, { exact: true }).first().waitFor({ timeout: 30_000 });
      expect(outside).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('refuses Bull Board a wrong password, still challenging for Basic', async (ctx) => {
    if (missing) return ctx.skip();
    const res = await fetch(`${http.base}/admin/queues`, { headers: { authorization: `Basic ${Buffer.from('admin:wrong').toString('base64')}` } });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
  });
});
