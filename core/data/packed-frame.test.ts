import { describe, expect, it } from 'vitest';
import { schemaOf } from '../../test/helpers/datasets.js';
import { packFrame, unpackFrame } from './packed-frame.js';
import { RecordEncoder } from './record-encoder.js';

const schema = schemaOf({
  name: 'flows',
  features: [
    { name: 'bytes', kind: 'numeric', min: 0, nullable: true },
    { name: 'proto', kind: 'categorical', values: ['tcp', 'udp'], nullable: true, unknown: 'error' },
    { name: 'flag', kind: 'numeric', values: [-1, 0, 1], integer: true },
  ],
  label: { name: 'y', classes: ['attack', 'benign'], threat: ['attack'] },
});

describe('packFrame / unpackFrame', () => {
  it('gives back the frame the record encoder made: values, missing cells, codes and categories', () => {
    const { frame } = new RecordEncoder(schema).encode([
      { bytes: 10.5, proto: 'udp', flag: 1 },
      { bytes: null, proto: null, flag: -1 },
      { bytes: 0, proto: 'tcp', flag: 0 },
    ]);
    const packed = packFrame(frame);
    expect(packed.data).toHaveLength(9);
    const back = unpackFrame(structuredClone(packed), schema);
    expect(back.nRows).toBe(3);
    expect(back.columns).toHaveLength(3);
    expect(back.columns[0]).toEqual({ kind: 'numeric', name: 'bytes', values: Float64Array.from([10.5, NaN, 0]) });
    expect(back.columns[1]).toEqual({ kind: 'categorical', name: 'proto', codes: Int32Array.from([1, -1, 0]), categories: ['tcp', 'udp'] });
    expect(back.columns[2]).toEqual({ kind: 'numeric', name: 'flag', values: Float64Array.from([1, -1, 0]) });
  });

  it('refuses a packed frame that does not hold the schema features of its rows', () => {
    expect(() => unpackFrame({ nRows: 2, data: new Float64Array(5) }, schema)).toThrow(/5 values is not 2 rows of the schema's 3 features/);
  });
});
