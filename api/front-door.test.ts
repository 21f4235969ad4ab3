import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { Hono } from 'hono';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { frontDoor } from './front-door.js';
import { ApiMetrics } from './metrics.js';
import { RouteRoles } from './route-roles.js';

function app() {
  const metrics = new ApiMetrics();
  const hono = new Hono();
  const lines: string[] = [];
  const log = pino(new Writable({ write: (chunk, _enc, done) => done(void lines.push(...String(chunk).trim().split('\n'))) }));
  const roles = new RouteRoles();
  roles.declare('GET', '/healthz', 'public');
  roles.declare('POST', '/v1/predict', 'predict');
  roles.declare('GET', '/v1/models', 'admin');
  roles.declare('GET', '/v1/models/:name', 'admin');
  hono.use('*', frontDoor({ keys: { predict: ['p-key'], admin: ['a-key'] }, metrics, maxJsonBytes: 1024, roles, log }));
  hono.get('/healthz', (c) => c.json({ status: 'ok' }));
  hono.post('/v1/predict', async (c) => c.json(await c.req.json()));
  hono.get('/v1/models', (c) => c.json({ versions: [] }));
  hono.get('/v1/models/:name', (c) => c.json({ name: c.req.param('name') }));
  return { hono, metrics, lines };
}
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const counted = async (metrics: ApiMetrics, route: string, status: number) => {
  const line = (await metrics.registry.metrics()).split('\n').find((l) => l.startsWith('tm_http_requests_total{') && l.includes(`route="${route}"`) && l.includes(`status="${status}"`));
  return line ? Number(line.split(' ').at(-1)) : 0;
};

describe('front door', () => {
  it('refuses a route that declared no role, even with an admin key; a path with no route is a 404', async () => {
    const { hono } = app();
    hono.get('/v1/predictions', (c) => c.json({ open: true }));
    hono.get('/debug', (c) => c.json({ open: true }));
    for (const path of ['/v1/predictions', '/debug']) {
      const res = await hono.request(path, { headers: bearer('a-key') });
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('undeclared_route');
    }
    expect((await hono.request('/nowhere')).status).toBe(404);
  });

  it('accepts a key as Basic auth with user admin, and challenges a refused request', async () => {
    const { hono } = app();
    const basic = (user: string, key: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${key}`).toString('base64')}` });
    expect((await hono.request('/v1/models', { headers: basic('admin', 'a-key') })).status).toBe(200);
    expect((await hono.request('/v1/models', { headers: basic('root', 'a-key') })).status).toBe(401);
    const refused = await hono.request('/v1/models');
    expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it('refuses with the error shape, a request id and a counted status; lets good requests through', async () => {
    const { hono, metrics } = app();
    const none = await hono.request('/v1/predict', { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    expect(none.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const wrongRole = await hono.request('/v1/models', { headers: bearer('p-key') });
    expect(wrongRole.status).toBe(403);
    const badType = await hono.request('/v1/predict', { method: 'POST', body: 'a,b', headers: { ...bearer('p-key'), 'content-type': 'text/csv', 'content-length': '3' } });
    expect(badType.status).toBe(415);
    const ok = await hono.request('/v1/predict', { method: 'POST', body: '{"a":1}', headers: { ...bearer('p-key'), 'content-type': 'application/json', 'x-request-id': 'caller-7' } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ a: 1 });
    expect(ok.headers.get('x-request-id')).toBe('caller-7');
    expect((await hono.request('/v1/models', { headers: bearer('a-key') })).status).toBe(200);
    expect((await hono.request('/healthz')).status).toBe(200);
    expect(await counted(metrics, '/v1/predict', 401)).toBe(1);
    expect(await counted(metrics, '/v1/predict', 415)).toBe(1);
    expect(await counted(metrics, '/v1/predict', 200)).toBe(1);
    expect(await counted(metrics, '/v1/models', 403)).toBe(1);
  });

  it('writes one access-log line per request, with the route, status, request id and key id but never the key', async () => {
    const { hono, lines } = app();
    await hono.request('/v1/models/phishing', { headers: { ...bearer('a-key'), 'x-request-id': 'req-42' } });
    await hono.request('/v1/predict', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json', authorization: 'Bearer wrong-key' } });
    await hono.request('/admin/queues', { headers: { authorization: `Basic ${Buffer.from('admin:a-key').toString('base64')}` } });
    await hono.request('/healthz');
    expect(lines).toHaveLength(4);
    const [models, refused, board, health] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const idOf = (key: string) => createHash('sha256').update(key).digest('hex').slice(0, 12);
    expect(models).toMatchObject({ msg: 'request', method: 'GET', route: '/v1/models/:name', path: '/v1/models/phishing', status: 200, requestId: 'req-42', keyId: idOf('a-key') });
    expect(models.ms).toBeTypeOf('number');
    expect(refused).toMatchObject({ method: 'POST', route: '/v1/predict', status: 401, keyId: idOf('wrong-key') });
    expect(refused.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(board).toMatchObject({ status: 404, keyId: idOf('a-key') });
    expect(health).toMatchObject({ route: '/healthz', status: 200 });
    expect(health.keyId).toBeUndefined();
    expect(lines.join('\n')).not.toMatch(/a-key|wrong-key|YWRtaW46YS1rZXk/);
  });
});
