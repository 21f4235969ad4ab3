import { spawn, type ChildProcess } from 'node:child_process';
import { freePort, redisAnswers } from '../../api/cli/private-redis.js';

/**
 * A redis-server of the test's own on a free loopback port (never the shared 6379), which the
 * test may kill and start again on the same port. Keeps nothing on disk unless `persistDir`.
 */
export async function startOwnRedis(o: { persistDir?: string } = {}) {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const up = async () => {
    // persistDir: an append-only file synced on every write, so a restart (even after SIGKILL) loses nothing.
    const keep = o.persistDir ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', o.persistDir] : ['--appendonly', 'no'];
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...keep], { stdio: 'ignore' });
    for (let i = 0; i < 100 && !(await redisAnswers(url)); i++) await new Promise((r) => setTimeout(r, 100));
    if (!(await redisAnswers(url))) throw new Error(`redis-server did not come up on ${port}`);
  };
  const down = async (signal: NodeJS.Signals = 'SIGKILL') => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill(signal);
    await gone;
  };
  await up();
  return { url, port, stop: down, restart: up };
}
