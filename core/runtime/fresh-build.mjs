// Plain JavaScript on purpose: the bin, the family-child bootstrap and worker-thread boot code load
// it before any TypeScript loader exists. It owns one fact: whether dist/ is a build of the
// current source, so that compiled JS runs when it is and a source edit is never run stale.
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The package root (this file is core/runtime/fresh-build.mjs). */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** What the build compiles (tsconfig.build.json) and what changes its output. */
const SOURCE_DIRS = ['api', 'workers', 'core', 'schema'];
const BUILD_FILES = ['tsconfig.json', 'tsconfig.build.json'];
const STAMP = join('dist', '.build-stamp');

/** Newest modification time (ms) of the compiled sources and their folders (a folder's time changes when a file is added, removed or renamed). */
function newestSourceMs(root) {
  let newest = 0;
  const seen = (path) => {
    const ms = statSync(path).mtimeMs;
    if (ms > newest) newest = ms;
  };
  const walk = (dir) => {
    seen(dir);
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) seen(path);
    }
  };
  for (const d of SOURCE_DIRS) if (existsSync(join(root, d))) walk(join(root, d));
  for (const f of BUILD_FILES) if (existsSync(join(root, f))) seen(join(root, f));
  return newest;
}

/** Whether dist/ under `root` was built after the last change to the source it compiles. */
export function buildIsFresh(root = PACKAGE_ROOT) {
  let started;
  try {
    started = Number(readFileSync(join(root, STAMP), 'utf8'));
  } catch {
    return false;
  }
  return Number.isFinite(started) && newestSourceMs(root) < started;
}

/** Forgets the build (before compiling again: a half-written dist/ is never taken as fresh). */
export function unstampBuild(root = PACKAGE_ROOT) {
  rmSync(join(root, STAMP), { force: true });
}

/** Records that dist/ now holds the source as it was at `startedMs` (when the compiler started reading it). */
export function stampBuild(startedMs, root = PACKAGE_ROOT) {
  writeFileSync(join(root, STAMP), String(startedMs));
}

/** The dist/ module compiled from source module `source` (a .ts URL under `root`), or undefined. */
export function compiledUrl(source, root = PACKAGE_ROOT) {
  const path = fileURLToPath(source);
  const rel = relative(root, path);
  if (!path.endsWith('.ts') || rel.startsWith('..') || rel.startsWith(`dist${sep}`)) return undefined;
  return pathToFileURL(join(root, 'dist', rel.slice(0, -3) + '.js'));
}

/**
 * Imports the TypeScript module `source`: its compiled copy in dist/ when that build is fresh,
 * else the source itself through tsx (a development checkout whose build is missing or stale).
 */
export async function importBuiltOrSource(source, root = PACKAGE_ROOT) {
  const built = compiledUrl(source, root);
  if (built && existsSync(built) && buildIsFresh(root)) return import(built.href);
  const tsx = await import('tsx/esm/api').catch(() => undefined);
  if (!tsx) throw new Error(`dist/ is missing or older than the source, and tsx (a dev dependency) is not installed: run \`npm run build\``);
  tsx.register();
  return import(source.href);
}
