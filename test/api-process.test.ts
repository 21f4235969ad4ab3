/**
 * The API as a real process (issue 12, defects 6, 9 and 10): SIGTERM under load finishes every
 * in-flight request, refuses new connections and exits within its deadline; `serve` without keys
 * is not open; a configured key is never printed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../core/adapters/local-artifact-store.js';
import { repoPath } from './helpers/datasets.js';
import { dropTestState, REDIS_URL, testPrefix } from './helpers/redis.js';
import { trainPhishing } from './helpers/served.js';

const ADMIN = 'configured-admin-key-9f3b';
const PREDICT = 'configured-predict-key-71c2';

describe('the API process', () => {
  const prefix = testPrefix('api-process');
  let dir: string;
  let rows: Record<string, number>[];
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-api-process-'));
    await trainPhishing(new LocalArtifactStore(join(dir, 'artifacts')), 'process-run');
    const [head, ...lines] = (await readFile(repoPath('data/phishing.csv'), 'utf8')).trim().split('\n');
    const names = head.replaceAll('"', '').split(',').slice(0, 30);
    rows = lines.slice(0, 1000).map((l) => Object.fromEntries(names.map((n, j) => [n, Number(l.split(',')[j])])));
  }, 120_000);
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
  afterAll(() => dropTestState(prefix, dir));

  /** Starts `threatmatrix <command>`; resolves with the child, its URL (from its log) and its output so far. */
  async function start(command: string, env: Record<string, string>) {
    const child = spawn(process.execPath, [repoPath('api/bin/threatmatrix.mjs'), command], {
      cwd: repoPath(''),
      env: { ...process.env, REDIS_URL, TM_QUEUE_PREFIX: prefix, TM_ARTIFACTS: join(dir, 'artifacts'), HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    const out = { stdout: '', stderr: '' };
    child.stdout!.on('data', (d: Buffer) => (out.stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out.stderr += d.toString()));
    // The log (stderr) and the banner (stdout) are separate pipes: wait for both.
    const banner = command === 'start' ? /threatmatrix is up/ : command === 'serve' && !env.TM_API_KEYS_ADMIN ? /Admin key/ : undefined;
    for (let i = 0; i < 1200; i++) {
      const url = /"url":"(http:\/\/[^"]+)"/.exec(out.stderr)?.[1];
      if (url && (!banner || banner.test(out.stdout))) return { child, url, out };
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${command} did not come up:\n${out.stdout}\n${out.stderr}`);
  }

  /** A 1,000-row batch whose body arrives in four parts over ~`ms`, on a keep-alive connection. */
  function slowBatch(url: string, agent: http.Agent, ms: number) {
    const body = Buffer.from(JSON.stringify({ rows }));
    return new Promise<{ status: number; rows: number }>((resolve, reject) => {
      const req = http.request(`${url}/v1/predict/batch`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length, authorization: `Bearer ${PREDICT}` } }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, rows: res.statusCode === 200 ? (JSON.parse(text) as { predictions: unknown[] }).predictions.length : 0 }));
        res.on('error', reject);
      });
      req.on('error', reject);
      const part = Math.ceil(body.length / 4);
      // Each part after the one before it: timers set all at once can fire out of order on a busy machine.
      const send = (i: number): void => {
        if (i === 3) return void req.end(body.subarray(i * part));
        req.write(body.subarray(i * part, (i + 1) * part));
        setTimeout(() => send(i + 1), ms / 3);
      };
      send(0);
    });
  }

  /** One record at a time on keep-alive connections, each request sent as soon as the last answered, until a new connection is refused. */
  function predictLoop(url: string, agent: http.Agent) {
    const body = Buffer.from(JSON.stringify({ features: rows[0] }));
    const outcomes: string[] = [];
    const once = () =>
      new Promise<string>((resolve) => {
        const req = http.request(`${url}/v1/predict`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length, authorization: `Bearer ${PREDICT}` } }, (res) => {
          res.resume();
          res.on('end', () => resolve(String(res.statusCode)));
          res.on('error', (err: Error & { code?: string }) => resolve(err.code ?? err.message));
        });
        req.on('error', (err: Error & { code?: string }) => resolve(err.code ?? err.message));
        req.end(body);
      });
    const done = (async () => {
      for (;;) {
        const outcome = await once();
        outcomes.push(outcome);
        if (outcome !== '200') return outcomes;
      }
    })();
    return { outcomes, done };
  }

  it('on SIGTERM finishes every in-flight request, refuses new connections, and exits within its deadline', { timeout: 180_000 }, async () => {
    const { child, url } = await start('serve', { TM_API_KEYS_ADMIN: ADMIN, TM_API_KEYS_PREDICT: PREDICT, TM_API_SHUTDOWN_SECONDS: '20' });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    // Warm keep-alive connections first, as a load generator's are.
    expect((await Promise.all(Array.from({ length: 8 }, () => slowBatch(url, agent, 10)))).map((r) => r.status)).toEqual(Array(8).fill(200));
    const inFlight = Array.from({ length: 8 }, () => slowBatch(url, agent, 3_000));
    const fastAgent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    const running = Array.from({ length: 8 }, () => predictLoop(url, fastAgent));
    // Every loop has its keep-alive connection and an answer before the signal (a loaded machine is slow to get there).
    for (let i = 0; i < 200 && running.some((l) => !l.outcomes.length); i++) await new Promise((r) => setTimeout(r, 100));
    const loops = running.map((l) => l.done);
    const exited = new Promise<{ code: number | null; at: number }>((r) => child.once('exit', (code) => r({ code, at: performance.now() })));
    const signalled = performance.now();
    child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    const refused = await fetch(`${url}/healthz`).then(
      (res) => `answered ${res.status}`,
      (err: Error & { cause?: { code?: string } }) => err.cause?.code ?? err.message,
    );
    const answers = await Promise.all(inFlight.map((p) => p.catch((err: Error) => ({ status: -1, rows: 0, err: err.message }))));
    expect(answers).toEqual(Array(8).fill({ status: 200, rows: 1000 }));
    expect(refused).toBe('ECONNREFUSED');
    // Requests sent on open keep-alive connections are answered; the loops end only when a new connection is refused.
    const ends = (await Promise.all(loops)).map((o) => o.at(-1));
    expect((await Promise.all(loops)).every((o) => o[0] === '200')).toBe(true);
    expect(ends).toEqual(Array(8).fill('ECONNREFUSED'));
    fastAgent.destroy();
    const { code, at } = await exited;
    expect(code).toBe(0);
    // Well within the 20 s deadline: idle keep-alive connections are closed, not waited for.
    expect(at - signalled).toBeLessThan(15_000);
    agent.destroy();
  });

  it('serve without keys generates an admin key, prints it once, and opens no admin route or Bull Board without it', { timeout: 120_000 }, async () => {
    const { child, url, out } = await start('serve', { TM_API_KEYS_ADMIN: '', TM_API_KEYS_PREDICT: '' });
    const key = /Admin key\s+(\S+)/.exec(out.stdout)?.[1];
    expect(key, out.stdout).toBeTruthy();
    expect(out.stdout.split(key!).length - 1).toBe(1);
    expect(out.stderr).not.toContain(key!);
    expect((await fetch(`${url}/v1/models`)).status).toBe(401);
    expect((await fetch(`${url}/admin/queues`)).status).toBe(401);
    expect((await fetch(`${url}/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ features: rows[0] }) })).status).toBe(401);
    expect((await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
    expect((await fetch(`${url}/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify({ features: rows[0] }) })).status).toBe(200);
    child.kill('SIGTERM');
  });

  it('start never prints a configured admin key', { timeout: 150_000 }, async () => {
    const { child, url, out } = await start('start', { TM_API_KEYS_ADMIN: ADMIN, TM_API_KEYS_PREDICT: '' });
    expect(out.stdout).toMatch(/threatmatrix is up \(serving phishing v1\)/);
    expect(out.stdout + out.stderr).not.toContain(ADMIN);
    expect(out.stdout).toMatch(/TM_API_KEYS_ADMIN/);
    expect((await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(200);
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
