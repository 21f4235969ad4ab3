/**
 * The README against the repository: every variable threatmatrix reads has a row in its
 * configuration table, and every script, command and file it tells a reader to use exists.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigSchema, LIBRARY_ENV } from '../schema/config.js';
import { repoPath } from './helpers/datasets.js';

const readme = readFileSync(repoPath('README.md'), 'utf8');
const pkg = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { bin: Record<string, string>; scripts: Record<string, string> };

/** Product sources (no tests): where process.env is read directly. */
function sources(dir: string): string[] {
  return readdirSync(repoPath(dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [join(dir, e.name)] : [],
  );
}

describe('README', () => {
  it('has a configuration row for every variable threatmatrix reads', () => {
    const direct = ['api', 'workers', 'core', 'schema'].flatMap(sources).flatMap((f) => [...readFileSync(repoPath(f), 'utf8').matchAll(/process\.env\.([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]));
    const all = new Set([...Object.keys(ConfigSchema.shape), ...LIBRARY_ENV, ...direct]);
    const rows = readme.split('\n').filter((l) => l.startsWith('| `'));
    const documented = new Set(rows.flatMap((r) => [...r.split('|')[1].matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1])));
    expect([...all].filter((v) => !documented.has(v))).toEqual([]);
  });

  it('names only npm scripts, threatmatrix commands and files that exist', () => {
    for (const [, script] of readme.matchAll(/npm run ([\w:-]+)/g)) expect(pkg.scripts, `npm run ${script}`).toHaveProperty([script]);
    const help = spawnSync(process.execPath, [repoPath(pkg.bin.threatmatrix), '--help'], { cwd: repoPath(''), encoding: 'utf8' });
    const commands = /usage: threatmatrix <([a-z|-]+)>/.exec(help.stdout + help.stderr)![1].split('|');
    // As written to be run: `npx threatmatrix x`, or `threatmatrix x` in backticks.
    const used = [...readme.matchAll(/(?:npx |`)threatmatrix ([a-z-]+)/g)].map((m) => m[1]);
    expect(used.length).toBeGreaterThan(5);
    for (const command of used) expect(commands, `threatmatrix ${command}`).toContain(command);
    const paths = [...readme.matchAll(/`((?:\.?[\w-]+\/)*\.?[\w.-]+\.(?:ya?ml|json|md|sh|ts|csv|example))`/g), ...readme.matchAll(/\]\(((?!https?:)[^)#]+)\)/g)].map((m) => m[1]);
    expect(paths.length).toBeGreaterThan(10);
    // Repository paths: with a folder, dotfiles and the top-level documents (not names inside the artifact store).
    const inRepo = paths.filter((p) => !/[<>]/.test(p) && (p.includes('/') || p.startsWith('.') || /^[A-Z]+\.md$/.test(p)));
    expect(inRepo.filter((p) => !existsSync(repoPath(p)))).toEqual([]);
  });
});
