import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const guard = fileURLToPath(new URL('./process-guard.ts', import.meta.url));

/** Runs a script in a real process (an uncaught error must not end it) and returns its exit and output. */
function run(script: string): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('../..', import.meta.url)), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out })));
}

const prelude = `import pino from 'pino'; import { EventEmitter } from 'node:events'; import { keepServingOnFaults } from ${JSON.stringify(guard)};
const log = pino({ level: 'info' });`;

describe('keepServingOnFaults', () => {
  it('logs an error event nobody listened to and a rejected promise, and the process goes on serving', async () => {
    const { code, out } = await run(`${prelude}
keepServingOnFaults(log);
setTimeout(() => new EventEmitter().emit('error', new Error('ENOENT: stream of a missing file')), 10);
setTimeout(() => void Promise.reject(new Error('a job promise nobody awaited')), 20);
setTimeout(() => { console.log('STILL SERVING'); process.exit(0); }, 300);`);
    expect(out).toContain('ENOENT: stream of a missing file');
    expect(out).toContain('a job promise nobody awaited');
    expect(out).toContain('STILL SERVING');
    expect(code).toBe(0);
  });

  it('exits non-zero after a burst of faults (a fault loop is not serving)', async () => {
    const { code, out } = await run(`${prelude}
keepServingOnFaults(log, { maxFaults: 3 });
let n = 0; const t = setInterval(() => { if (++n > 10) clearInterval(t); new EventEmitter().emit('error', new Error('again ' + n)); }, 5);
setTimeout(() => { console.log('STILL SERVING'); process.exit(0); }, 2000);`);
    expect(out).toContain('too many uncaught faults');
    expect(out).not.toContain('STILL SERVING');
    expect(code).toBe(70);
  });
});
