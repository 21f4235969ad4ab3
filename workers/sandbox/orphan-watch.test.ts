import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('exitWithParent', () => {
  let dir: string;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('ends a child whose main thread never yields once its parent is killed', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-orphan-'));
    const watch = fileURLToPath(new URL('./orphan-watch.ts', import.meta.url));
    // The child blocks its main thread for good (as a long fit does): only the watch thread can end it.
    await writeFile(join(dir, 'child.mts'), `import { exitWithParent } from ${JSON.stringify(watch)};\nexitWithParent(100);\nprocess.send('ready');\nfor (;;) {}\n`);
    await writeFile(join(dir, 'parent.cjs'), `const c = require('node:child_process').fork(${JSON.stringify(join(dir, 'child.mts'))}, [], { execArgv: ['--import', 'tsx'] });\nc.on('message', () => console.log(c.pid));\nsetInterval(() => {}, 1000);\n`);
    const parent = spawn(process.execPath, [join(dir, 'parent.cjs')], { cwd: fileURLToPath(new URL('../..', import.meta.url)), stdio: ['ignore', 'pipe', 'inherit'] });
    const childPid = await new Promise<number>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim()))));
    expect(alive(childPid)).toBe(true);
    parent.kill('SIGKILL');
    for (let i = 0; i < 50 && alive(childPid); i++) await sleep(100);
    const survived = alive(childPid);
    if (survived) process.kill(childPid, 'SIGKILL');
    expect(survived).toBe(false);
  });
});
