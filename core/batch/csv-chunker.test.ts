import { describe, expect, it } from 'vitest';
import { DataError } from '../errors.js';
import { chunkCsv, UploadTooLarge, type CsvChunk } from './csv-chunker.js';

/** The text cut into buffers of `size` bytes, so records straddle buffer edges. */
async function* pieces(text: string, size: number): AsyncGenerator<Uint8Array> {
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function cut(text: string, size: number, rowsPerChunk: number, maxBytes?: number) {
  const chunks: CsvChunk[] = [];
  const info = await chunkCsv(pieces(text, size), async (c) => void chunks.push(c), { rowsPerChunk, maxBytes });
  return { info, chunks, texts: chunks.map((c) => Buffer.from(c.bytes).toString()) };
}

describe('chunkCsv', () => {
  const text = 'a,b,c\n1,2,3\r\n\n"x\ny",5,6\n7,"8,9",10\n11,12,"13 ""q"""\n14,15,16';

  it.each([1, 2, 7, 1000])('cuts whole records whatever the buffer size (%i bytes)', async (size) => {
    const { info, chunks, texts } = await cut(text, size, 2);
    expect(info).toMatchObject({ header: ['a', 'b', 'c'], rows: 5, chunks: 3, bytes: Buffer.byteLength(text) });
    expect(texts).toEqual(['1,2,3\r\n"x\ny",5,6\n', '7,"8,9",10\n11,12,"13 ""q"""\n', '14,15,16\n']);
    expect(chunks.map((c) => [c.index, c.firstRow, c.rows])).toEqual([
      [0, 1, 2],
      [1, 3, 2],
      [2, 5, 1],
    ]);
  });

  it('names the first ragged row', async () => {
    const err = await cut('a,b\n1,2\n3\n', 3, 10).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect(err).toMatchObject({ rule: 'row-length', line: 3, message: 'row 2 has 1 fields but the header has 2' });
  });

  it('refuses an unclosed quote, an empty upload and a header without rows', async () => {
    await expect(cut('a,b\n1,"2\n', 4, 10)).rejects.toMatchObject({ rule: 'csv-syntax' });
    await expect(cut('', 4, 10)).rejects.toMatchObject({ rule: 'non-empty' });
    await expect(cut('a,b\n\n', 4, 10)).rejects.toMatchObject({ rule: 'non-empty' });
  });

  it('stops at the size limit', async () => {
    await expect(cut('a,b\n1,2\n3,4\n', 4, 10, 10)).rejects.toBeInstanceOf(UploadTooLarge);
  });

  it('lets the header check refuse the upload before any chunk', async () => {
    const chunks: CsvChunk[] = [];
    const refuse = () => {
      throw new Error('no');
    };
    await expect(chunkCsv(pieces('a,b\n1,2\n', 3), async (c) => void chunks.push(c), { onHeader: refuse })).rejects.toThrow('no');
    expect(chunks).toEqual([]);
  });
});
