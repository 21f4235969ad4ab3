import { randomUUID } from 'node:crypto';
import { link, mkdir, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { ArtifactBody, ArtifactStore } from '../ports/artifact-store.js';
import { checkKey } from './keys.js';

const isErrno = (err: unknown, code: string) => (err as NodeJS.ErrnoException)?.code === code;

/**
 * Artifacts in a local directory (default `./.threatmatrix`). Every write goes to a temporary file
 * next to its target and is renamed into place (atomic on one filesystem); `ifAbsent` links the
 * temporary file instead, which fails when the target exists.
 */
export class LocalArtifactStore implements ArtifactStore {
  readonly root: string;
  constructor(root = '.threatmatrix') {
    this.root = resolve(root);
  }

  get location(): string {
    return this.root;
  }

  private path(key: string): string {
    return join(this.root, ...checkKey(key).split('/'));
  }

  async put(key: string, body: ArtifactBody, opts: { ifAbsent?: boolean } = {}): Promise<{ created: boolean }> {
    const target = this.path(key);
    await mkdir(dirname(target), { recursive: true });
    const tmp = `${target}.${randomUUID()}.tmp`;
    await writeFile(tmp, body);
    try {
      if (!opts.ifAbsent) {
        await rename(tmp, target);
        return { created: true };
      }
      try {
        await link(tmp, target);
        return { created: true };
      } catch (err) {
        if (isErrno(err, 'EEXIST')) return { created: false };
        throw err;
      }
    } finally {
      if (opts.ifAbsent) await unlink(tmp).catch(() => undefined);
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      // A view of the file's buffer: `new Uint8Array(buffer)` would copy it (a dataset is hundreds of MB).
      const b = await readFile(this.path(key));
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return undefined;
      throw err;
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      return (await stat(this.path(key))).isFile();
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return false;
      throw err;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const dir = this.path(prefix.replace(/\/$/, '') || '.');
    let entries: string[];
    try {
      entries = await readdir(dir, { recursive: true });
    } catch (err) {
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return [];
      throw err;
    }
    const keys: string[] = [];
    for (const e of entries) {
      if (e.endsWith('.tmp')) continue;
      const full = join(dir, e);
      if ((await stat(full)).isFile()) keys.push(relative(this.root, full).split(sep).join('/'));
    }
    return keys.sort();
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }
}
