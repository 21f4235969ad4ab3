import { parse } from 'csv-parse/sync';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { schemaOf } from '../../test/helpers/datasets.js';
import { readCsv } from './csv-reader.js';
import { DatasetBuilder } from './dataset-builder.js';
import { Rng } from './rng.js';

const schema = schemaOf({
  name: 'mixed',
  missingValues: ['', 'na', '-999'],
  features: [
    { name: 'bytes', kind: 'numeric', nullable: true },
    { name: 'rate', kind: 'numeric', nullable: true },
    { name: 'proto', kind: 'categorical', values: ['tcp', 'udp', 'na', 'icmp v6', 'ünï'], nullable: true },
  ],
  label: { name: 'label', classes: ['bad', 'ok', 'na'], threat: ['bad'] },
  ignore: ['note'],
});

/** What the reader gave before the byte scanner: csv-parse records through `DatasetBuilder.push`. */
function reference(text: string) {
  const records = parse(text, { bom: true, relax_column_count: true, skip_empty_lines: true, info: true }) as unknown as { record: string[]; info: { lines: number } }[];
  const builder = new DatasetBuilder(schema, records[0].record);
  for (const { record, info } of records.slice(1)) builder.push(record, info.lines);
  return builder.finish();
}

/** `text` as a stream of chunks of `size` bytes. */
const chunked = (text: string, size: number) => {
  const bytes = Buffer.from(text);
  const parts: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) parts.push(bytes.subarray(at, at + size));
  return Readable.from(parts);
};

/** Random cells of every kind the reader treats apart: plain and odd numbers, missing tokens, quotes, spaces, unknowns. */
function messyCsv(rows: number, seed: number, eol: string): string {
  const rng = new Rng(seed);
  const pick = <T>(xs: T[]) => xs[rng.int(xs.length)];
  const number = () => pick([String(rng.int(100_000)), ((rng.next() - 0.5) * 1e4).toPrecision(1 + rng.int(16)), '1e400', ' 7', '"42"', '0x1F', '.5', '-0', 'na', '-999', '-999.0', '', 'NaN', 'x12', '12345678901234567']);
  const proto = () => pick(['tcp', 'udp', ' tcp', '"udp"', 'na', '"icmp v6"', 'ünï', 'sctp', '', '"t""cp"']);
  const label = () => pick(['bad', 'ok', 'ok', 'na', ' bad', '"ok"', 'maybe', '']);
  const lines = ['note,bytes,rate,proto,label'];
  for (let i = 0; i < rows; i++) {
    const cells = [pick(['"a, b"', 'x', '"multi\nline"', '']), number(), number(), proto(), label()];
    if (rng.next() < 0.02) cells.pop();
    lines.push(cells.join(','));
    if (rng.next() < 0.02) lines.push('');
  }
  return lines.join(eol) + eol;
}

describe('readCsv byte scanner', () => {
  for (const [eol, name] of [['\n', 'LF'], ['\r\n', 'CRLF']]) {
    it(`gives the same dataset and issues (lines, values) as csv-parse did, on messy ${name} data, in any chunking`, async () => {
      const text = '\uFEFF' + messyCsv(3000, eol === '\n' ? 1 : 2, eol);
      const want = reference(text);
      expect(want.issues.length).toBeGreaterThan(5);
      for (const size of [1 << 16, 97, 5]) {
        const got = await readCsv(chunked(text, size), schema);
        expect(got.dataset).toEqual(want.dataset);
        expect(got.issues).toEqual(want.issues);
      }
    });
  }

  it('gives the same dataset when it sizes its columns from the input size, told right or wrong', async () => {
    const text = '\n'.repeat(500) + messyCsv(3000, 3, '\n');
    const want = reference(text);
    const bytes = Buffer.byteLength(text);
    for (const sizeBytes of [bytes, 100, 50 * bytes])
      for (const size of [1 << 16, 4096, 97]) {
        const got = await readCsv(chunked(text, size), schema, { sizeBytes });
        expect(got.dataset).toEqual(want.dataset);
        expect(got.issues).toEqual(want.issues);
      }
  });

  it('reads a file whose lines end in a bare CR (through csv-parse)', async () => {
    const { dataset, issues } = await readCsv(Readable.from(['note,bytes,rate,proto,label\r,1,2.5,tcp,ok\r,3,,udp,bad']), schema);
    expect(issues).toEqual([]);
    expect(Array.from(dataset.labels)).toEqual([1, 0]);
    const rate = dataset.features.columns[1];
    expect(rate.kind === 'numeric' && Array.from(rate.values)).toEqual([2.5, NaN]);
  });

  it('refuses a quote inside an unquoted field as a csv-syntax error naming the line', async () => {
    await expect(readCsv(Readable.from(['note,bytes,rate,proto,label\nx,1,2,tc"p,ok\n']), schema)).rejects.toMatchObject({ rule: 'csv-syntax', line: 2 });
  });
});
