import { describe, expect, it } from 'vitest';
import type { Frame } from '../data/frame.js';
import { FeatureEncoder, NATIVE_MISSING, NATIVE_UNKNOWN } from './feature-encoder.js';
import { Preprocessor } from './preprocessor.js';

const frame = (protoCodes: number[], serviceCodes: number[], services = ['http', 'dns', 'ssh']): Frame => ({
  nRows: protoCodes.length,
  columns: [
    { kind: 'categorical', name: 'proto', codes: Int32Array.from(protoCodes), categories: ['tcp', 'udp'] },
    { kind: 'numeric', name: 'bytes', values: Float64Array.from(protoCodes, (_, i) => i * 10) },
    { kind: 'categorical', name: 'service', codes: Int32Array.from(serviceCodes), categories: services },
  ],
});

describe('native categorical encoding', () => {
  it('writes one code column per categorical, -1 for missing and -2 for unknown, and says where they are', () => {
    const enc = new FeatureEncoder().fit(frame([0], [0]), { proto: 'onehot' }, 'native');
    expect(enc.outputNames).toEqual(['proto=tcp', 'proto=udp', 'bytes', 'service']);
    expect(enc.categoricalFeatures).toEqual([{ column: 3, categories: 3 }]);
    const X = enc.transform(frame([0, 1, 0, 1], [2, -1, -2, 0]));
    expect(Array.from(X.data.filter((_, i) => i % 4 === 3))).toEqual([2, NATIVE_MISSING, NATIVE_UNKNOWN, 0]);
    expect(X.hasMissing).toBe(false);
    // A serving frame whose dictionary holds a category the fit never saw.
    const foreign = enc.transform(frame([0, 0], [0, 1], ['smtp', 'ssh']));
    expect([foreign.data[3], foreign.data[7]]).toEqual([NATIVE_UNKNOWN, 2]);
    const again = FeatureEncoder.fromJSON(JSON.parse(JSON.stringify(enc.toJSON())));
    expect(again.categoricalFeatures).toEqual(enc.categoricalFeatures);
  });

  it('is the default preprocessing of gradient boosting only', () => {
    const f = frame([0, 1], [0, 1]);
    const gb = Preprocessor.forModel('gradient_boosting');
    gb.fitTransform(f);
    expect(gb.categoricalFeatures).toEqual([
      { column: 0, categories: 2 },
      { column: 2, categories: 3 },
    ]);
    const rf = Preprocessor.forModel('random_forest');
    expect(rf.fitTransform(f).cols).toBe(6);
    expect(rf.categoricalFeatures).toEqual([]);
    const off = Preprocessor.forModel('gradient_boosting', { nativeCategoricals: false });
    expect(off.fitTransform(f).cols).toBe(6);
    const loaded = Preprocessor.fromJSON(JSON.parse(JSON.stringify(gb.toJSON())));
    expect(loaded.categoricalFeatures).toEqual(gb.categoricalFeatures);
  });
});
