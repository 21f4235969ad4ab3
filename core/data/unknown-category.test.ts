import { describe, expect, it } from 'vitest';
import { schemaOf } from '../../test/helpers/datasets.js';
import { SchemaFileError } from '../../schema/index.js';
import { FeatureEncoder } from '../transform/feature-encoder.js';
import { UNKNOWN_CATEGORY } from './dataset-builder.js';
import type { Frame } from './frame.js';
import { addUnknownCounts, unknownRules } from './unknown-category.js';

const label = { name: 'y', classes: ['a', 'b'], threat: ['a'] };

describe('unknown categories', () => {
  it('reads the per-column option: ignore by default, other with its listed bucket, error', () => {
    const schema = schemaOf({
      name: 's',
      features: [
        { name: 'proto', kind: 'categorical', values: ['tcp', 'udp'] },
        { name: 'service', kind: 'categorical', values: ['http', 'other'], unknown: 'other', other: 'other' },
        { name: 'flag', kind: 'categorical', values: ['S', 'F'], unknown: 'error' },
        { name: 'bytes', kind: 'numeric' },
      ],
      label,
    });
    expect(unknownRules(schema).map((r) => [r.feature, r.name, r.code])).toEqual([
      [0, 'proto', UNKNOWN_CATEGORY],
      [1, 'service', 1],
    ]);
  });

  it('refuses `other` without a listed bucket, and a bucket without unknown: other', () => {
    const bad = (extra: object) => () => schemaOf({ name: 's', features: [{ name: 'c', kind: 'categorical', values: ['x', 'y'], ...extra }], label });
    expect(bad({ unknown: 'other' })).toThrow(SchemaFileError);
    expect(bad({ unknown: 'other', other: 'z' })).toThrow(/features\.0\.other \(c\): unknown: other needs `other` set to one of the column's values/);
    expect(bad({ other: 'x' })).toThrow(/only read with unknown: other/);
    expect(bad({ unknown: 'sometimes' })).toThrow(/features\.0\.unknown/);
  });

  it('encodes an unknown code as no one-hot column set, and as missing for an ordinal column', () => {
    const categories = ['tcp', 'udp', 'icmp'];
    const frame = (codes: number[]): Frame => ({
      nRows: codes.length,
      columns: [
        { kind: 'categorical', name: 'hot', codes: Int32Array.from(codes), categories },
        { kind: 'categorical', name: 'ord', codes: Int32Array.from(codes), categories },
      ],
    });
    const enc = new FeatureEncoder().fit(frame([0, 1, 2]), { ord: 'ordinal' });
    const X = enc.transform(frame([1, UNKNOWN_CATEGORY, -1]));
    const rows = [0, 1, 2].map((i) => Array.from(X.data.subarray(i * 4, i * 4 + 4)));
    expect(rows).toEqual([
      [0, 1, 0, 1],
      [0, 0, 0, NaN],
      [NaN, NaN, NaN, NaN],
    ]);
  });

  it('adds counts per column', () => {
    expect(addUnknownCounts({ a: 1 }, { a: 2, b: 3 })).toEqual({ a: 3, b: 3 });
  });
});
