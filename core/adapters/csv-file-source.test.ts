import { mkdir, mkdtemp, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schemaOf } from '../../test/helpers/datasets.js';
import { DataError } from '../errors.js';
import { CsvFileSource } from './csv-file-source.js';

describe('CsvFileSource under a data root', () => {
  let dir: string;
  const schema = schemaOf({ name: 't', label: { name: 'y', classes: ['a', 'b'], threat: ['b'] }, features: [{ name: 'x', kind: 'numeric' }] });
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-csvsrc-'));
    await mkdir(join(dir, 'root'));
    await writeFile(join(dir, 'root', 'real.csv'), 'x,y\n1,a\n2,b\n');
    await writeFile(join(dir, 'secret.csv'), 'x,y\n9,a\n9,b\n');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads a file that is still under its root, and refuses one swapped for a link out of it since the API checked', async () => {
    const path = join(dir, 'root', 'data.csv');
    await symlink(join(dir, 'root', 'real.csv'), path);
    expect((await new CsvFileSource(path, join(dir, 'root')).read(schema)).dataset.features.nRows).toBe(2);
    await unlink(path);
    await symlink(join(dir, 'secret.csv'), path);
    const err = await new CsvFileSource(path, join(dir, 'root')).read(schema).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).rule).toBe('data-root');
    // The CLI's runs carry no root: the local user may read any file.
    expect((await new CsvFileSource(path).read(schema)).dataset.features.nRows).toBe(2);
  });
});
