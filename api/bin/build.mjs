#!/usr/bin/env node
// `npm run build`, and `prepare` at install (--if-possible): compiles the product into dist/ and
// stamps it, so the bin, training children and scoring threads run compiled JavaScript.
// --if-possible skips quietly where there is nothing to build with: a production install without
// TypeScript, or a Docker stage that has not copied the source yet.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const ifPossible = process.argv.includes('--if-possible');
const freshBuild = new URL('../../core/runtime/fresh-build.mjs', import.meta.url);
let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  tsc = undefined;
}
const missing = !tsc ? 'typescript is not installed' : !existsSync(fileURLToPath(freshBuild)) || !existsSync(`${root}tsconfig.build.json`) ? 'the source is not here' : undefined;
if (missing) {
  if (ifPossible) process.exit(0);
  process.stderr.write(`build: ${missing}\n`);
  process.exit(1);
}
// Other arguments go to tsc (`npm run build -- --outDir elsewhere`); only dist/ itself is stamped.
const tscArgs = process.argv.slice(2).filter((a) => a !== '--if-possible');
const elsewhere = tscArgs.includes('--outDir');
const { stampBuild, unstampBuild } = await import(freshBuild.href);
if (!elsewhere) unstampBuild(root);
const started = Date.now();
const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', ...tscArgs], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
if (!elsewhere) stampBuild(started, root);
