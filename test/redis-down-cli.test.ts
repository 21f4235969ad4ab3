import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../api/cli/private-redis.js';
import { repoPath } from './helpers/datasets.js';
import { startOwnRedis } from './helpers/own-redis.js';
import { dropTestState, testPrefix } from './helpers/redis.js';

const cli = repoPath('api/bin/threatmatrix.mjs');

/** Runs the CLI; resolves with its exit code, stderr and how long it ran. */
function threatmatrix(args: string[], env: NodeJS.ProcessEnv, during?: (child: ReturnType<typeof spawn>, stderr: () => string) => Promise<void>) {
  const child = spawn(process.execPath, [cli, ...args], { cwd: repoPath(''), env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return (async () => {
    await during?.(child, () => stderr);
    const code = await exited;
    return { code, stderr };
  })();
}

const until = async (cond: () => boolean, ms: number) => {
  for (const end = Date.now() + ms; !cond() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 100));
  return cond();
};

describe('commands when Redis is not there', () => {
  const prefix = testPrefix('no-redis');
  let dir: string;
  afterAll(() => dropTestState(prefix, dir));

  it('train and worker print one clear line and exit non-zero; with a private Redis recorded by start, runs cancel uses it', { timeout: 150_000 }, async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-no-redis-'));
    const nowhere = `redis://127.0.0.1:${await freePort()}`;
    const env = { ...process.env, REDIS_URL: nowhere, TM_QUEUE_PREFIX: prefix, TM_ARTIFACTS: join(dir, 'artifacts'), LOG_LEVEL: 'info' };
    for (const args of [['train', '--data', repoPath('data/phishing.csv')], ['worker']]) {
      const { code, stderr } = await threatmatrix(args, env);
      expect(code).toBe(3);
      expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(/^no Redis answers at 127\.0\.0\.1:\d+ \(REDIS_URL\): start Redis or set REDIS_URL/)]);
    }

    // npm start records its private redis-server in the artifact store; train finds it there.
    const own = await startOwnRedis();
    try {
      await mkdir(join(dir, 'artifacts'), { recursive: true });
      await writeFile(join(dir, 'artifacts', 'private-redis.json'), JSON.stringify({ url: own.url }));
      const { code, stderr } = await threatmatrix(['runs', 'cancel', 'run-nothing'], env);
      expect(stderr).toContain(`using the private Redis of threatmatrix start at 127.0.0.1:${own.port}`);
      expect(stderr).toContain('no run run-nothing');
      expect(code).toBe(2);
    } finally {
      await own.stop();
    }
  });

  it('a worker whose Redis goes away logs it about once a minute and still stops by its --shutdown-seconds', { timeout: 150_000 }, async () => {
    const own = await startOwnRedis();
    const env = { ...process.env, REDIS_URL: own.url, TM_QUEUE_PREFIX: prefix, TM_ARTIFACTS: join(dir, 'artifacts-2'), LOG_LEVEL: 'info' };
    let stoppingAt = 0;
    const { code, stderr } = await threatmatrix(['worker', '--shutdown-seconds', '2'], env, async (child, err) => {
      expect(await until(() => err().includes('workers started'), 90_000)).toBe(true);
      await own.stop('SIGKILL');
      await new Promise((r) => setTimeout(r, 8_000)); // reconnecting all the while
      stoppingAt = Date.now();
      child.kill('SIGTERM');
    });
    const took = Date.now() - stoppingAt;
    expect(code).toBe(0);
    // 2 s deadline + 3 s for the hard close, and slack for a loaded machine.
    expect(took).toBeLessThan(15_000);
    expect(stderr).not.toMatch(/\n\s+at /); // no stack traces
    expect(stderr).not.toContain('ECONNREFUSED 127.0.0.1:' + own.port + '\n');
    expect(stderr.split('\n').filter((l) => l.includes('ECONNREFUSED')).length).toBeLessThanOrEqual(2);
  });
});
