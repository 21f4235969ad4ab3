import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { schemaOf } from '../../test/helpers/datasets.js';
import { DataError } from '../errors.js';
import { readCsv } from './csv-reader.js';

const small = schemaOf({
  name: 'small',
  features: [{ name: 'port', kind: 'numeric' }],
  label: { name: 'label', classes: ['bad', 'ok'], threat: ['bad'] },
});

/** A stream that yields `chunks`, then fails as a dropped S3 download or a bad disk does. */
function failingAfter(chunks: string[], message: string): Readable {
  let i = 0;
  return new Readable({
    read() {
      if (i < chunks.length) this.push(Buffer.from(chunks[i++]));
      else this.destroy(new Error(message));
    },
  });
}

describe('readCsv on input that fails', () => {
  let dir: string | undefined;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('rejects (and does not crash the process) when a bare-CR stream fails mid-read', async () => {
    const input = failingAfter(['port,label\r1,bad\r2,ok\r', '3,bad\r'], 'connection reset mid-download');
    await expect(readCsv(input, small)).rejects.toThrow(/connection reset mid-download/);
  });

  it('rejects when an LF stream fails mid-read', async () => {
    const input = failingAfter(['port,label\n1,bad\n2,ok\n'], 'socket hang up');
    await expect(readCsv(input, small)).rejects.toThrow(/socket hang up/);
  });

  it('names a missing file as a DataError (retrying cannot help)', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-csv-faults-'));
    const missing = join(dir, 'no-such-file.csv');
    const err = await readCsv(missing, small).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).message).toContain(missing);
    expect((err as DataError).rule).toBe('readable-file');
  });

  it('refuses a directory and a device instead of reading it', async () => {
    dir ??= await mkdtemp(join(tmpdir(), 'tm-csv-faults-'));
    for (const path of [dir, '/dev/zero']) {
      const err = await readCsv(path, small).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DataError);
      expect((err as DataError).message).toContain(path);
    }
  });
});
