import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { redisAnswers } from '../../workers/redis-reachable.js';

export { redisAnswers };

/** A TCP port nothing listens on now (loopback). */
export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });

export interface PrivateRedis {
  url: string;
  stop(): void;
}

/**
 * Starts a throwaway `redis-server` on a free loopback port (nothing saved to disk). Undefined
 * when redis-server is not installed or does not come up.
 */
export async function startPrivateRedis(): Promise<PrivateRedis | undefined> {
  const port = await freePort();
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const started = await new Promise<boolean>((resolve) => {
    child.once('error', () => resolve(false));
    child.once('spawn', () => resolve(true));
  });
  if (!started) return undefined;
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 50 && !(await redisAnswers(url)); i++) await new Promise((r) => setTimeout(r, 100));
  if (!(await redisAnswers(url))) {
    child.kill();
    return undefined;
  }
  return { url, stop: () => void child.kill() };
}
