import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '../errors.js';
import { pathUnderRoots } from './data-roots.js';

describe('data roots', () => {
  let dir: string;
  let root: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-roots-'));
    root = join(dir, 'data');
    await mkdir(join(root, 'sub'), { recursive: true });
    await writeFile(join(root, 'sub', 'a.csv'), 'x\n');
    await writeFile(join(dir, 'outside.csv'), 'x\n');
    await symlink(join(dir, 'outside.csv'), join(root, 'link.csv'));
    await symlink(join(dir, 'outside.csv'), join(dir, 'data-evil'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const refused = async (path: string, rule: string) => {
    const err = (await pathUnderRoots(path, [root]).catch((e: unknown) => e)) as DataError;
    expect(err).toBeInstanceOf(DataError);
    expect(err.rule).toBe(rule);
    expect(err.column).toBe('data');
  };

  it('takes a file under a root, by any spelling that resolves there', async () => {
    expect((await pathUnderRoots(join(root, 'sub', '..', 'sub', 'a.csv'), [root])).path).toMatch(/data\/sub\/a\.csv$/);
  });

  it('refuses paths that resolve outside every root: absolute, ../, a symlink out, a sibling sharing the prefix', async () => {
    await refused('/etc/hostname', 'data-root');
    await refused(join(root, '..', 'outside.csv'), 'data-root');
    await refused(join(root, 'link.csv'), 'data-root');
    await refused(join(dir, 'data-evil'), 'data-root');
  });

  it('refuses what is not a readable file: missing, a directory, a NUL byte', async () => {
    await refused(join(root, 'missing.csv'), 'file-exists');
    await refused(join(root, 'sub'), 'file-exists');
    await refused(`${root}/a\0b`, 'file-exists');
  });
});
