import { realpath, stat } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { DataError } from '../errors.js';

const shown = (p: string) => (p.length > 200 ? `${p.slice(0, 200)}...` : p);

/**
 * The real path of a data file when it lies under one of `roots` (directories), symlinks resolved
 * on both sides, so `../`, absolute paths and links out of a root are all refused. Throws a
 * DataError (column `data`) otherwise, or when the file does not exist or is not a file. The API
 * checks a run's file with it, and the worker checks again when it opens the file.
 */
export async function pathUnderRoots(path: string, roots: readonly string[]): Promise<{ path: string; root: string }> {
  let real: string;
  try {
    real = await realpath(resolve(path));
    if (!(await stat(real)).isFile()) throw new Error('not a file');
  } catch {
    throw new DataError(`data: ${shown(path)} is not a readable file`, 'file-exists', 'data');
  }
  for (const root of roots) {
    const base = await realpath(resolve(root)).catch(() => undefined);
    if (base && real.startsWith(base.endsWith(sep) ? base : base + sep)) return { path: real, root: base };
  }
  throw new DataError(`data: ${shown(path)} is not under a data root (TM_DATA_ROOTS)`, 'data-root', 'data');
}
