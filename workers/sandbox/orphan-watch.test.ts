import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { childProcessesOf, processAlive } from '../../test/helpers/processes.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a training child forked by childRunner', () => {
  let dir: string;
  const leftovers: number[] = [];
  afterAll(async () => {
    for (const pid of leftovers) if (processAlive(pid)) process.kill(pid, 'SIGKILL');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('ends a child whose main thread never yields, and the processes it started, once its parent is SIGKILLed', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-orphan-'));
    const runner = fileURLToPath(new URL('./child-runner.ts', import.meta.url));
    // The child starts a process of its own, then blocks its main thread for good (as a long fit
    // does): only the watch thread can end it. The parent forks it the way workers do (childRunner).
    await writeFile(
      join(dir, 'child.mts'),
      `import { spawn } from 'node:child_process';\n` +
        `const g = spawn('sleep', ['600'], { stdio: 'ignore' });\nprocess.send({ type: 'progress', progress: g.pid });\nfor (;;) {}\n`,
    );
    await writeFile(
      join(dir, 'parent.mts'),
      `import { childRunner } from ${JSON.stringify(runner)};\nimport { pathToFileURL } from 'node:url';\n` +
        `const runner = childRunner(pathToFileURL(${JSON.stringify(join(dir, 'child.mts'))}), async () => undefined);\n` +
        `const job = { data: {}, updateProgress: async (p) => console.log(JSON.stringify({ grandchild: p })) };\n` +
        `runner.process(job).catch(() => undefined);\nsetInterval(() => {}, 1000);\n`,
    );
    const parent = spawn(process.execPath, ['--import', 'tsx', join(dir, 'parent.mts')], { cwd: fileURLToPath(new URL('../..', import.meta.url)), stdio: ['ignore', 'pipe', 'inherit'] });
    const { grandchild } = await new Promise<{ grandchild: number }>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(JSON.parse(String(d)))));
    const [child] = childProcessesOf(parent.pid!).map((p) => p.pid);
    leftovers.push(child, grandchild);
    expect(processAlive(child)).toBe(true);
    expect(processAlive(grandchild)).toBe(true);
    parent.kill('SIGKILL');
    for (let i = 0; i < 50 && (processAlive(child) || processAlive(grandchild)); i++) await sleep(100);
    expect({ child: processAlive(child), grandchild: processAlive(grandchild) }).toEqual({ child: false, grandchild: false });
  });
});
