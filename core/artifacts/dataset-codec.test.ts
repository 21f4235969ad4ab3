import { describe, expect, it } from 'vitest';
import { attackDataset } from '../../test/helpers/synthetic.js';
import { readCsvText, schemaOf } from '../../test/helpers/datasets.js';
import { decodeDataset, encodeDataset, encodeDatasetParts } from './dataset-codec.js';
import { canonicalJson, sha256 } from './digest.js';

describe('dataset codec', () => {
  it('round-trips numeric and categorical columns, missing values and labels exactly', async () => {
    const { csv, schema } = attackDataset(257, 2);
    const { dataset } = await readCsvText(csv.replace(/\n(\d+),[\d.]+,/, '\n$1,,'), schemaOf({ ...schema, features: schema.features.map((f) => ({ ...f, nullable: true })) }));
    const bytes = encodeDataset(dataset);
    const back = decodeDataset(bytes);
    expect(back).toEqual(dataset);
    expect(back.features.columns.some((c) => c.kind === 'numeric' && c.values.some(Number.isNaN))).toBe(true);
    expect(sha256(encodeDataset(back))).toBe(sha256(bytes));
  });

  it('rejects other bytes', () => {
    expect(() => decodeDataset(new TextEncoder().encode('hello world, not a dataset'))).toThrow(/not a threatmatrix dataset/);
  });

  it('hashes JSON independently of key order', () => {
    expect(sha256(canonicalJson({ b: 1, a: { d: 2, c: 3 } }))).toBe(sha256(canonicalJson({ a: { c: 3, d: 2 }, b: 1 })));
  });
});

describe('dataset codec memory', () => {
  const dataset = async () => {
    const { csv, schema } = attackDataset(301, 3);
    return (await readCsvText(csv, schemaOf(schema))).dataset;
  };

  it('decodes into views of the bytes when they are aligned, copying nothing', async () => {
    const bytes = encodeDataset(await dataset());
    const back = decodeDataset(bytes);
    for (const c of back.features.columns) expect((c.kind === 'numeric' ? c.values : c.codes).buffer).toBe(bytes.buffer);
    expect(back.labels.buffer).toBe(bytes.buffer);
  });

  it('copies only when the bytes sit at a misaligned offset, and still reads them exactly', async () => {
    const d = await dataset();
    const bytes = encodeDataset(d);
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    const back = decodeDataset(shifted.subarray(3));
    expect(back).toEqual(d);
    expect(back.labels.buffer).not.toBe(shifted.buffer);
  });

  it('encodes into parts that view the columns, whose concatenation is the object', async () => {
    const d = await dataset();
    const parts = encodeDatasetParts(d);
    const first = d.features.columns[0];
    expect(parts.some((p) => p.buffer === (first.kind === 'numeric' ? first.values : first.codes).buffer)).toBe(true);
    expect(sha256(Buffer.concat(parts))).toBe(sha256(encodeDataset(d)));
    expect(sha256(parts)).toBe(sha256(encodeDataset(d)));
  });

  it('refuses a truncated object', async () => {
    const bytes = encodeDataset(await dataset());
    expect(() => decodeDataset(bytes.subarray(0, bytes.length - 16))).toThrow(/truncated/);
  });
});
