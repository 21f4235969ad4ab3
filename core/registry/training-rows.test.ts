import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseDatasetSchema } from '../../schema/index.js';
import { readCsv } from '../data/csv-reader.js';
import type { Dataset } from '../data/frame.js';
import { decodeRowSet, encodeRowSet, rowHashes, rowsOutside } from './training-rows.js';

/** Rows (bytes, proto, label) as a dataset whose category and class lists are in the given order. */
function dataset(rows: [number, string | null, string][], categories: string[], classes: string[]): Dataset {
  return {
    features: {
      nRows: rows.length,
      columns: [
        { kind: 'numeric', name: 'bytes', values: Float64Array.from(rows, (r) => r[0]) },
        { kind: 'categorical', name: 'proto', codes: Int32Array.from(rows, (r) => (r[1] === null ? -1 : categories.indexOf(r[1]))), categories },
      ],
    },
    labels: Int32Array.from(rows, (r) => classes.indexOf(r[2])),
    classes,
    positiveClass: classes.indexOf('attack'),
  };
}

describe('training row hashes', () => {
  it('hash a row by its content, whatever the codes a run gave its categories and classes', () => {
    const a = rowHashes(dataset([[10, 'tcp', 'attack'], [NaN, null, 'normal']], ['tcp', 'udp'], ['normal', 'attack']));
    const b = rowHashes(dataset([[NaN, null, 'normal'], [10, 'tcp', 'attack']], ['udp', 'tcp'], ['attack', 'normal']));
    expect(Array.from(b)).toEqual([a[1], a[0]]);
    for (const h of a) expect(Number.isSafeInteger(h)).toBe(true);
  });

  it('tell apart rows that differ in one value or only in the label', () => {
    const h = rowHashes(dataset([[10, 'tcp', 'attack'], [10, 'tcp', 'normal'], [11, 'tcp', 'attack'], [10, 'udp', 'attack'], [10, null, 'attack'], [-0, 'tcp', 'attack'], [0, 'tcp', 'attack']], ['tcp', 'udp'], ['normal', 'attack']));
    expect(new Set(Array.from(h).slice(0, 5)).size).toBe(5);
    expect(h[5]).toBe(h[6]);
  });

  it("give the phishing set's 5,849 distinct rows (whole numbers -1, 0, 1) 5,849 hashes, and its 5,785 distinct feature rows as many", async () => {
    const path = (p: string) => new URL(`../../${p}`, import.meta.url);
    const text = readFileSync(path('data/phishing.csv'));
    const { dataset: data } = await readCsv(Readable.from([text]), parseDatasetSchema(readFileSync(path('schema/phishing.yaml'), 'utf8')));
    const lines = text.toString('utf8').trim().split('\n').slice(1);
    expect(new Set(rowHashes(data)).size).toBe(new Set(lines).size);
    expect(new Set(rowHashes(data)).size).toBe(5849);
    const featuresOnly = rowHashes({ ...data, labels: new Int32Array(data.labels.length).fill(-1) });
    expect(new Set(featuresOnly).size).toBe(new Set(lines.map((l) => l.slice(0, l.lastIndexOf(',')))).size);
  });

  it('store a set sorted and find the rows outside it', () => {
    const set = decodeRowSet(encodeRowSet(Float64Array.of(9, 2 ** 52 + 1, 3)));
    expect(Array.from(set)).toEqual([3, 9, 2 ** 52 + 1]);
    expect(Array.from(rowsOutside(Float64Array.of(3, 4, 2 ** 52 + 1, 2 ** 52, 9), set))).toEqual([1, 3]);
    expect(() => decodeRowSet(new Uint8Array(7))).toThrow(/multiple of 8/);
  });
});
