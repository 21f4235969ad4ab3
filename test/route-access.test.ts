/**
 * Route roles fail closed (issue 12, defects 9 and 16): every route declares its role where it is
 * defined, the server enforces exactly what /openapi.json documents, and a route nobody declared
 * is refused, whatever key comes with it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../core/adapters/local-artifact-store.js';
import { ArtifactRegistry } from '../core/registry/artifact-registry.js';
import { STAGES, type StageName } from '../schema/jobs.js';
import { buildApp, type AppOptions } from '../api/app.js';
import type { ApiKeys } from '../api/auth.js';
import { ModelHolder } from '../api/serving/model-holder.js';
import { sourceFromArg } from '../schema/source-arg.js';
import { QUEUE_OF, redisConnection } from '../workers/queues.js';
import { dropPrefix, REDIS_URL, testPrefix } from './helpers/redis.js';
import { listen } from './helpers/served.js';

const PREDICT = 'predict-key-route-access';
const ADMIN = 'admin-key-route-access';
type Role = 'public' | 'predict' | 'admin';
type Operation = { operationId?: string; security?: Record<string, string[]>[] };
type Doc = { servers?: { url: string }[]; components?: { securitySchemes?: Record<string, unknown> }; paths: Record<string, Record<string, Operation>> };

describe('route roles', () => {
  const prefix = testPrefix('route-access');
  let dir: string;
  let conn: Redis;
  let queues: Queue[];
  const servers: { close(): Promise<void> }[] = [];

  /** The whole API (training and batch routes, Bull Board) with these keys; `extra` adds routes before it serves. */
  async function serveApp(keys: ApiKeys | undefined, extra?: (app: OpenAPIHono) => void) {
    const store = new LocalArtifactStore(join(dir, 'artifacts'));
    const registry = new ArtifactRegistry(store);
    const stageQueues = Object.fromEntries(STAGES.map((s) => [s, new Queue(QUEUE_OF[s], { connection: conn, prefix })])) as Record<StageName, Queue>;
    const predictQueue = new Queue('predict', { connection: conn, prefix });
    queues.push(...Object.values(stageQueues), predictQueue);
    const o: AppOptions = {
      models: new ModelHolder('phishing', registry, store),
      registry,
      redisOk: async () => true,
      keys,
      training: {
        enqueue: async () => undefined,
        cancel: async () => ({ state: 'unknown', removed: 0, stillActive: 0 }),
        queues: stageQueues,
        store,
        defaults: { modelName: 'phishing', source: { kind: 'csv', path: '/nonexistent.csv' }, schema: {} },
        source: sourceFromArg,
        dataRoots: ['data'],
      },
      batches: { store, enqueue: async () => undefined, status: async () => undefined, queue: predictQueue },
    };
    const app = buildApp(o);
    extra?.(app);
    const http = await listen(app.fetch);
    servers.push(http);
    return { app, base: http.base };
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-route-access-'));
    conn = redisConnection(REDIS_URL, 'producer');
    queues = [];
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await Promise.all(queues.map((q) => q.close()));
    await dropPrefix(conn, prefix);
    conn.disconnect();
    await rm(dir, { recursive: true, force: true });
  });

  const call = (base: string, method: string, path: string, authorization?: string) =>
    fetch(`${base}${path}`, { method, headers: authorization ? { authorization } : {} }).then(async (r) => (await r.arrayBuffer(), r.status));
  const bearer = (key: string) => `Bearer ${key}`;
  const concrete = (path: string) => path.replace(/\{[^}]+\}|:[A-Za-z]+/g, '1').replace(/\*/g, 'x');
  const roleOfDoc = (op: Operation): Role | undefined => {
    if (!op.security) return undefined;
    if (op.security.length === 0) return 'public';
    return op.security.some((s) => s.apiKey?.includes('predict')) ? 'predict' : 'admin';
  };

  it('documents an operationId, servers, the key scheme and a role for every operation', async () => {
    const { base } = await serveApp({ predict: [PREDICT], admin: [ADMIN] });
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as Doc;
    expect(doc.servers?.length).toBeGreaterThan(0);
    expect(doc.components?.securitySchemes).toHaveProperty('apiKey');
    const ops = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })));
    expect(ops.length).toBeGreaterThan(15);
    const ids = ops.map((o) => o.op.operationId);
    expect(ids.filter((id) => !id || !/^[a-z][A-Za-z]+$/.test(id))).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ops.filter((o) => !roleOfDoc(o.op)).map((o) => `${o.method} ${o.path}`)).toEqual([]);
    const role = (method: string, path: string) => roleOfDoc(doc.paths[path][method]);
    expect([role('get', '/healthz'), role('get', '/readyz'), role('get', '/metrics')]).toEqual(['public', 'public', 'public']);
    expect([role('post', '/v1/predict'), role('post', '/v1/batches'), role('get', '/v1/batches/{id}/results')]).toEqual(['predict', 'predict', 'predict']);
    expect([role('get', '/v1/models'), role('post', '/v1/training-runs'), role('delete', '/v1/training-runs/{id}')]).toEqual(['admin', 'admin', 'admin']);
    // Monitoring reads take the role of GET /v1/models.
    expect([role('get', '/v1/monitoring/{model}'), role('get', '/v1/monitoring/{model}/windows/{id}')]).toEqual(['admin', 'admin']);
  });

  it('enforces on every registered route the role it declares (documented routes: as documented)', async () => {
    const { app, base } = await serveApp({ predict: [PREDICT], admin: [ADMIN] });
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as Doc;
    const documented = new Map<string, Role>(Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => [`${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`, roleOfDoc(op)!] as const)));
    const undocumented: [RegExp, Role][] = [
      [/^\/(docs|docs\/assets\/:file|openapi\.json)$/, 'public'],
      [/^\/admin\/queues(\/|$)/, 'admin'],
    ];
    const endpoints = [...new Set(app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path}`))];
    expect(endpoints.length).toBeGreaterThan(25);
    const wrong: string[] = [];
    for (const endpoint of endpoints) {
      const [method, path] = endpoint.split(' ');
      const role = documented.get(endpoint) ?? undocumented.find(([re]) => re.test(path))?.[1];
      if (!role) {
        wrong.push(`${endpoint}: neither documented nor known`);
        continue;
      }
      const url = concrete(path);
      const none = await call(base, method, url);
      const predict = await call(base, method, url, bearer(PREDICT));
      const ok = role === 'public' ? ![401, 403].includes(none) : role === 'predict' ? none === 401 && ![401, 403].includes(predict) : none === 401 && predict === 403;
      if (!ok) wrong.push(`${endpoint} (${role}): no key ${none}, predict key ${predict}`);
      // Admin routes with an admin key: only the read-only ones (Bull Board's others change queues).
      if (role === 'admin' && method === 'GET' && [401, 403].includes(await call(base, method, url, bearer(ADMIN)))) wrong.push(`${endpoint}: refused an admin key`);
    }
    expect(wrong).toEqual([]);
  });

  it('refuses a route that declares no role, with any key', async () => {
    const { base } = await serveApp({ predict: [PREDICT], admin: [ADMIN] }, (app) => {
      app.get('/v1/reports', (c) => c.json({ secret: true }));
      app.post('/internal/reset', (c) => c.json({ reset: true }));
      app.openapi(createRoute({ method: 'get', path: '/v1/undeclared', responses: { 200: { description: 'x', content: { 'application/json': { schema: z.object({ secret: z.boolean() }) } } } } }), (c) =>
        c.json({ secret: true }, 200),
      );
    });
    for (const [method, path] of [['GET', '/v1/reports'], ['POST', '/internal/reset'], ['GET', '/v1/undeclared']]) {
      expect([401, 403], `${method} ${path} without a key`).toContain(await call(base, method, path));
      expect(await call(base, method, path, bearer(ADMIN)), `${method} ${path} with the admin key`).toBe(403);
    }
    // A path with no route at all is still a plain 404.
    expect(await call(base, 'GET', '/v1/nothing-here')).toBe(404);
  });

  it('with no keys configured: public and predict routes open, admin routes and Bull Board closed', async () => {
    const { base } = await serveApp(undefined);
    expect(await call(base, 'GET', '/healthz')).toBe(200);
    expect([401, 403]).not.toContain(await call(base, 'POST', '/v1/predict'));
    expect([401, 403]).toContain(await call(base, 'GET', '/v1/models'));
    expect([401, 403]).toContain(await call(base, 'GET', '/v1/training-runs'));
    expect([401, 403]).toContain(await call(base, 'GET', '/admin/queues'));
    expect([401, 403]).toContain(await call(base, 'GET', '/admin/queues/api/queues'));
  });

  it('lets a browser into Bull Board with Basic auth (user admin, an admin key)', async () => {
    const { base } = await serveApp({ predict: [PREDICT], admin: [ADMIN] });
    const res = await fetch(`${base}/admin/queues`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic/i);
    expect(await call(base, 'GET', '/admin/queues', `Basic ${Buffer.from(`admin:${PREDICT}`).toString('base64')}`)).toBe(403);
    expect(await call(base, 'GET', '/admin/queues', `Basic ${Buffer.from(`admin:${ADMIN}`).toString('base64')}`)).toBe(200);
  });
});
