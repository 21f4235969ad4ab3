/**
 * Every environment variable goes through schema/config.ts: the lint rule refuses process.env
 * anywhere else in product code, and a bad value stops the CLI before it starts anything.
 */
import { spawnSync } from 'node:child_process';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { repoPath } from './helpers/datasets.js';

describe('environment reads', () => {
  const eslint = new ESLint({ cwd: repoPath('') });
  const envMessages = async (code: string, file: string) =>
    (await eslint.lintText(code, { filePath: repoPath(file) }))[0].messages.filter((m) => m.ruleId === 'no-restricted-syntax' && /schema\/config\.ts/.test(m.message));

  it.each([
    ['core/models/x.ts', 'export const n = Number(process.env.TM_SCORING_THREADS);'],
    ['workers/x.ts', "export const n = process['env'].TM_LOCK_DURATION_MS;"],
    ['api/x.ts', 'const { env } = process;\nexport const k = env.TM_API_KEY;'],
    ['api/cli/x.ts', "import { env } from 'node:process';\nexport const k = env.TM_API_KEY;"],
  ])('fires on a direct read in %s', async (file, code) => {
    expect(await envMessages(code, file)).not.toEqual([]);
  });

  it('allows schema/config.ts, tests and bench scripts', async () => {
    const code = 'export const e = process.env.X;';
    expect(await envMessages(code, 'schema/config.ts')).toEqual([]);
    expect(await envMessages(code, 'test/x.test.ts')).toEqual([]);
    expect(await envMessages(code, 'bench/x.ts')).toEqual([]);
  });

  it('keeps the stack-bound spread rule beside it', async () => {
    const [r] = await eslint.lintText('export const f = (a: number[]) => Math.max(...a);', { filePath: repoPath('core/x.ts') });
    expect(r.messages.map((m) => m.ruleId)).toContain('no-restricted-syntax');
  });

  it.each([
    ['TM_LOCK_DURATION_MS', 'abc'],
    ['TM_SCORING_THREADS', 'two'],
  ])('the CLI refuses to start with %s=%s, naming it', { timeout: 90_000 }, (name, value) => {
    const r = spawnSync(process.execPath, [repoPath('api/bin/threatmatrix.mjs'), 'worker'], { cwd: repoPath(''), encoding: 'utf8', env: { ...process.env, [name]: value, REDIS_URL: 'redis://127.0.0.1:1' }, timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${name}:`);
  });
});
