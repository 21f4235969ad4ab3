import { describe, expect, it } from 'vitest';
import { attackDataset } from '../../test/helpers/synthetic.js';
import { readCsvText, schemaOf } from '../../test/helpers/datasets.js';
import { decodeDataset, encodeDataset } from './dataset-codec.js';
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
