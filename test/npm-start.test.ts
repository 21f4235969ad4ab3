import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, redisAnswers } from '../api/cli/private-redis.js';
import { repoPath } from './helpers/datasets.js';
import { waitForOutput } from './helpers/process-output.js';
import { dropTestState, REDIS_URL, testPrefix } from './helpers/redis.js';

describe('npm start (threatmatrix start): the embedded default', () => {
  const prefix = testPrefix('start');
  // Without redis-server installed (CI's service container) the configured Redis is used instead.
  const privateRedis = spawnSync('redis-server', ['--version']).status === 0;
  let dir: string;
  let child: ChildProcess | undefined;
  afterAll(async () => {
    child?.kill('SIGKILL');
    await dropTestState(prefix, dir);
  });

  it(`trains the first model, prints URLs and a generated admin key, and serves correct predictions${privateRedis ? ' (on a private redis-server it started)' : ''}`, { timeout: 150_000 }, async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-start-'));
    const redisUrl = privateRedis ? `redis://127.0.0.1:${await freePort()}` : REDIS_URL;
    const env = { ...process.env, REDIS_URL: redisUrl, TM_QUEUE_PREFIX: prefix, TM_ARTIFACTS: join(dir, 'artifacts'), PORT: '0', HOST: '127.0.0.1', TM_API_KEYS_ADMIN: '', LOG_LEVEL: 'warn' };
    child = spawn(process.execPath, [repoPath('api/bin/threatmatrix.mjs'), 'start'], { cwd: repoPath(''), env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const out = await waitForOutput(child, /Admin key\s+\S+/, 140_000);
    if (privateRedis) expect(stderr).toMatch(/started a private redis-server/);
    expect(out).toMatch(/threatmatrix is up \(serving phishing v1\)/);
    const api = /API\s+(http:\/\/\S+)/.exec(out)![1];
    const key = /Admin key\s+(\S+)/.exec(out)![1];
    expect(out).toContain(`${api}/docs`);
    expect(out).toContain(`${api}/admin/queues`);

    const [head, ...lines] = (await readFile(repoPath('data/phishing.csv'), 'utf8')).trim().split('\n');
    const names = head.replaceAll('"', '').split(',');
    const sample = lines.slice(0, 300).map((l) => l.split(',').map(Number));
    const rows = sample.map((v) => Object.fromEntries(names.slice(0, 30).map((n, j) => [n, v[j]])));
    expect((await fetch(`${api}/v1/predict/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rows }) })).status).toBe(401);
    const res = await fetch(`${api}/v1/predict/batch`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify({ rows }) });
    expect(res.status).toBe(200);
    const { predictions } = (await res.json()) as { predictions: { label: string }[] };
    const right = predictions.filter((p, i) => p.label === String(sample[i][30])).length;
    expect(right / sample.length).toBeGreaterThan(0.93);

    const exited = new Promise<number | null>((r) => child!.once('exit', r));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    if (privateRedis) expect(await redisAnswers(redisUrl)).toBe(false);
  });
});
