import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { repoPath } from './helpers/datasets.js';

// The project's own lint config must refuse spreads that put a whole array on the call stack.
describe('lint rule against stack-bound spreads', () => {
  const eslint = new ESLint({ cwd: repoPath('.') });
  const lint = async (code: string, file = 'core/data/example.ts') => {
    const [result] = await eslint.lintText(code, { filePath: repoPath(file) });
    return result.messages.filter((m) => m.ruleId === 'no-restricted-syntax').map((m) => m.message);
  };

  it('fails on push(...arr), Math.max(...arr), Math.min(...arr) and String.fromCharCode(...arr) in source', async () => {
    const code = [
      'export function f(a: number[], b: number[]): number {',
      '  a.push(...b);',
      '  const hi = Math.max(...a);',
      '  const lo = Math.min(...b);',
      '  return hi - lo + String.fromCharCode(...a).length;',
      '}',
      '',
    ].join('\n');
    const messages = await lint(code);
    expect(messages).toHaveLength(4);
    expect(messages[0]).toMatch(/push\(\.\.\.arr\)/);
    expect(messages[1]).toMatch(/Math\.max/);
  }, 30_000);

  it('accepts loops, reduce and concat, and spreads in tests', async () => {
    const ok = 'export const top = (a: number[], b: number[]) => a.concat(b).reduce((m, x) => Math.max(m, x), -Infinity);\n';
    expect(await lint(ok)).toEqual([]);
    expect(await lint('export const top = (a: number[]) => Math.max(...a);\n', 'core/data/example.test.ts')).toEqual([]);
  }, 30_000);
});
