import { describe, expect, it } from 'vitest';
import { schemaOf } from '../../test/helpers/datasets.js';
import { RecordEncoder } from './record-encoder.js';

const schema = schemaOf({
  name: 'flows',
  features: [
    { name: 'bytes', kind: 'numeric', min: 0 },
    { name: 'flag', kind: 'numeric', values: [-1, 0, 1], integer: true },
    { name: 'proto', kind: 'categorical', values: ['tcp', 'udp'], nullable: true, unknown: 'error' },
  ],
  label: { name: 'y', classes: ['attack', 'benign'], threat: ['attack'] },
});

describe('RecordEncoder', () => {
  const encoder = new RecordEncoder(schema);

  it('lays records out by the schema, numbers from numbers or numeric strings, categories as codes', () => {
    const { frame, keyIssues, valueIssues } = encoder.encode([
      { bytes: 10, flag: '1', proto: 'udp' },
      { proto: null, flag: -1, bytes: ' 2.5 ' },
    ]);
    expect([keyIssues, valueIssues]).toEqual([[], []]);
    expect(frame.nRows).toBe(2);
    expect(frame.columns.map((c) => c.name)).toEqual(['bytes', 'flag', 'proto']);
    expect(frame.columns[0]).toMatchObject({ kind: 'numeric', values: Float64Array.from([10, 2.5]) });
    expect(frame.columns[2]).toMatchObject({ kind: 'categorical', codes: Int32Array.from([1, -1]), categories: ['tcp', 'udp'] });
  });

  it('names missing, extra and mistyped keys per row', () => {
    const { keyIssues } = encoder.encode([{ bytes: 1, flag: 0, proto: 'tcp', colour: 'red' }, { bytes: true, proto: 'tcp' }]);
    expect(keyIssues).toEqual([
      expect.objectContaining({ row: 1, field: 'colour', rule: 'extra-feature' }),
      expect.objectContaining({ row: 2, field: 'bytes', rule: 'type' }),
      expect.objectContaining({ row: 2, field: 'flag', rule: 'missing-feature' }),
    ]);
  });

  it('applies the file rules to values: domain, range, whole numbers, numbers, nulls, categories', () => {
    const { valueIssues } = encoder.encode([
      { bytes: -1, flag: 7, proto: 'icmp' },
      { bytes: 'NaN', flag: 0.5, proto: 'tcp' },
      { bytes: null, flag: 'Infinity', proto: '' },
    ]);
    expect(valueIssues.map((i) => [i.row, i.field, i.rule])).toEqual([
      [1, 'bytes', 'range'],
      [1, 'flag', 'allowed-values'],
      [1, 'proto', 'allowed-values'],
      [2, 'bytes', 'not-null'],
      [2, 'flag', 'allowed-values'],
      [3, 'bytes', 'not-null'],
      [3, 'flag', 'numeric'],
    ]);
  });

  it('reads records in schema order (values in sequence) and in any other order alike', () => {
    const inOrder = [
      { bytes: 10, flag: 1, proto: 'udp' },
      { bytes: -3, flag: 2, proto: 'tcp' },
      { bytes: Infinity, flag: 0.5, proto: null },
      { bytes: '7', flag: -0, proto: 'icmp' },
    ];
    const shuffled = inOrder.map(({ bytes, flag, proto }) => ({ proto, flag, bytes }));
    const a = encoder.encode(inOrder);
    expect(a).toEqual(encoder.encode(shuffled));
    expect(a.frame.columns[0]).toMatchObject({ values: Float64Array.from([10, -3, NaN, 7]) });
    expect(a.valueIssues.map((i) => [i.row, i.field, i.rule])).toEqual([
      [2, 'bytes', 'range'],
      [2, 'flag', 'allowed-values'],
      [3, 'bytes', 'numeric'],
      [3, 'flag', 'allowed-values'],
      [4, 'proto', 'allowed-values'],
    ]);
  });

  it('falls back to the full checks when an in-order record of numbers breaks off midway', () => {
    const numeric = new RecordEncoder(schemaOf({ name: 'nums', features: [{ name: 'a', kind: 'numeric', min: 0 }, { name: 'b', kind: 'numeric', values: [0, 1] }, { name: 'c', kind: 'numeric' }], label: { name: 'y', classes: ['p', 'q'], threat: ['p'] } }));
    const inOrder: Record<string, unknown>[] = [
      { a: 1, b: 1, c: 3 },
      { a: 2, b: 5, c: 3 },
      { a: 3, b: 0, c: 3, d: 4 },
      { a: 4, b: 0 },
      { a: 5, b: '1', c: 6 },
      { a: 6, b: 1, c: 7 },
    ];
    const shuffled = inOrder.map((r) => Object.fromEntries(Object.entries(r).reverse()));
    const a = numeric.encode(inOrder);
    expect(a).toEqual(numeric.encode(shuffled));
    expect(a.frame.columns.map((c) => (c.kind === 'numeric' ? [...c.values] : []))).toEqual([
      [1, 2, 3, 4, 5, 6],
      [1, 5, 0, 0, 1, 1],
      [3, 3, 3, 0, 6, 7],
    ]);
    expect([...a.keyIssues, ...a.valueIssues].map((i) => [i.row, i.field, i.rule])).toEqual([
      [3, 'd', 'extra-feature'],
      [4, 'c', 'missing-feature'],
      [2, 'b', 'allowed-values'],
    ]);
  });

  it('checks listed whole-number codes exactly, also where other rules drop some of them', () => {
    const coded = new RecordEncoder(
      schemaOf({
        name: 'codes',
        features: [
          { name: 'a', kind: 'numeric', values: [-1, 0, 1, 20], max: 10 },
          { name: 'b', kind: 'numeric', values: [0.5, 2] },
          { name: 'c', kind: 'numeric', values: [3, 5], integer: true },
        ],
        label: { name: 'y', classes: ['p', 'q'], threat: ['p'] },
      }),
    );
    const rows = [
      { a: -1, b: 0.5, c: 5 },
      { a: 20, b: 2, c: 3 },
      { a: 0.5, b: 1, c: 4 },
      { a: 2, b: 2.5, c: -0 },
      { a: -0, b: 2, c: 3 },
    ];
    expect(coded.encode(rows).valueIssues.map((i) => [i.row, i.field])).toEqual([
      [2, 'a'],
      [3, 'a'],
      [3, 'b'],
      [3, 'c'],
      [4, 'a'],
      [4, 'b'],
      [4, 'c'],
    ]);
  });

  it('keeps features with numeric names in their schema place', () => {
    const odd = new RecordEncoder(schemaOf({ name: 'odd', features: [{ name: 'b', kind: 'numeric' }, { name: '2', kind: 'numeric' }], label: { name: 'y', classes: ['p', 'q'], threat: ['p'] } }));
    const { frame, keyIssues } = odd.encode([{ b: 1, 2: 5 }]);
    expect(keyIssues).toEqual([]);
    expect(frame.columns.map((c) => [c.name, c.kind === 'numeric' ? c.values[0] : NaN])).toEqual([['b', 1], ['2', 5]]);
  });

  it('scores an unseen category as unknown (ignore, the default) or as the other value, and counts it per column', () => {
    const lenient = new RecordEncoder(
      schemaOf({
        name: 'flows',
        features: [
          { name: 'proto', kind: 'categorical', values: ['tcp', 'udp'] },
          { name: 'service', kind: 'categorical', values: ['http', 'dns', 'other'], unknown: 'other', other: 'other' },
          { name: 'bytes', kind: 'numeric', min: 0 },
        ],
        label: { name: 'y', classes: ['attack', 'benign'], threat: ['attack'] },
      }),
    );
    const { frame, valueIssues, unknown } = lenient.encode([
      { proto: 'icmp', service: 'ssh', bytes: 1 },
      { proto: 'udp', service: 'dns', bytes: -1 },
      { proto: 'gre', service: 'http', bytes: 2 },
    ]);
    expect(valueIssues.map((i) => [i.row, i.field, i.rule])).toEqual([[2, 'bytes', 'range']]);
    expect(frame.columns[0]).toMatchObject({ codes: Int32Array.from([-2, 1, -2]) });
    expect(frame.columns[1]).toMatchObject({ codes: Int32Array.from([2, 1, 0]) });
    expect(unknown).toEqual({ proto: 2, service: 1 });
  });
});
