import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { repoPath } from './datasets.js';

const STAND_IN = repoPath('../shared/tools/mongo-wire-server.py');

/**
 * A MongoDB to test against: MONGODB_URI when set (CI's mongo service), else the wire-protocol
 * stand-in from ../shared/tools when /usr/bin/python3 has python3-mockupdb and python3-mongomock,
 * else null with the reason (the caller reports that it skipped, loudly).
 */
export async function startMongo(): Promise<{ uri: string; stop(): Promise<void> } | { skip: string }> {
  if (process.env.MONGODB_URI) return { uri: process.env.MONGODB_URI, stop: async () => undefined };
  if (!existsSync(STAND_IN)) return { skip: `no MONGODB_URI and no stand-in at ${STAND_IN}` };
  const child: ChildProcess = spawn('/usr/bin/python3', [STAND_IN, '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const port = await new Promise<number | string>((resolve) => {
    const lines = createInterface({ input: child.stdout! });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    lines.on('line', (line) => {
      const m = /listening on localhost:(\d+)/.exec(line);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', () => resolve(`the stand-in exited: ${err.trim().split('\n').pop()}`));
  });
  if (typeof port === 'string') return { skip: port };
  return {
    uri: `mongodb://localhost:${port}/?directConnection=true`,
    stop: async () => {
      child.kill();
    },
  };
}
