import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildIsFresh, compiledUrl, stampBuild } from '../core/runtime/fresh-build.mjs';
import { repoPath } from './helpers/datasets.js';

const run = promisify(execFile);

// The bin and its freshness check, copied into a scratch package whose "source" and "build" print
// which of them ran: compiled JS when dist/ is fresh (quick start-up), the source when it is not.
describe('the threatmatrix bin', () => {
  let root: string;
  const file = (rel: string, text: string) => {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  };
  const age = (rel: string, secondsAgo: number) => {
    const t = new Date(Date.now() - secondsAgo * 1000);
    utimesSync(join(root, rel), t, t);
  };
  const bin = async () => (await run(process.execPath, [join(root, 'api/bin/threatmatrix.mjs')], { cwd: root })).stdout.trim();

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tm-bin-'));
    cpSync(repoPath('api/bin/threatmatrix.mjs'), join(root, 'api/bin/threatmatrix.mjs'));
    cpSync(repoPath('core/runtime/fresh-build.mjs'), join(root, 'core/runtime/fresh-build.mjs'));
    symlinkSync(repoPath('node_modules'), join(root, 'node_modules'));
    file('api/cli/main.ts', "const ran: string = 'source';\nconsole.log(ran);\n");
    file('core/x.ts', 'export const x = 1;\n');
    file('package.json', '{"type":"module"}');
    file('tsconfig.json', '{}');
    file('dist/api/cli/main.js', "console.log('compiled');\n");
    for (const rel of ['api/cli/main.ts', 'api/cli', 'api/bin', 'api', 'core/x.ts', 'core/runtime', 'core', 'tsconfig.json']) age(rel, 60);
    stampBuild(Date.now() - 30_000, root);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('runs the compiled build when dist/ is newer than every source file', async () => {
    expect(buildIsFresh(root)).toBe(true);
    expect(await bin()).toBe('compiled');
  });

  it('runs the source once a source file is edited after the build', async () => {
    writeFileSync(join(root, 'core/x.ts'), 'export const x = 2;\n');
    expect(buildIsFresh(root)).toBe(false);
    expect(await bin()).toBe('source');
  });

  it('runs the source when a file is moved in with an old time, or the build config changes', async () => {
    cpSync(join(root, 'core/x.ts'), join(root, 'core/y.ts'), { preserveTimestamps: true });
    expect(await bin()).toBe('source');
    rmSync(join(root, 'core/y.ts'));
    age('core', 60);
    expect(await bin()).toBe('compiled');
    writeFileSync(join(root, 'tsconfig.json'), '{"compilerOptions":{}}');
    expect(await bin()).toBe('source');
  });

  it('runs the source when there is no build, or an unfinished one', async () => {
    rmSync(join(root, 'dist/.build-stamp'));
    expect(await bin()).toBe('source');
    rmSync(join(root, 'dist'), { recursive: true });
    expect(await bin()).toBe('source');
  });

  it('maps a source module to its compiled copy, and nothing else', () => {
    expect(compiledUrl(new URL(`file://${root}/workers/sandbox/family-child.ts`), root)?.pathname).toBe(`${root}/dist/workers/sandbox/family-child.js`);
    expect(compiledUrl(new URL(`file://${root}/dist/api/cli/main.ts`), root)).toBeUndefined();
    expect(compiledUrl(new URL('file:///elsewhere/main.ts'), root)).toBeUndefined();
    expect(compiledUrl(new URL(`file://${root}/api/bin/threatmatrix.mjs`), root)).toBeUndefined();
  });
});
