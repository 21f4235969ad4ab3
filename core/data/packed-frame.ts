import type { DatasetSchema } from '../../schema/index.js';
import type { Column, Frame } from './frame.js';

/**
 * A frame laid out by a dataset schema, as one buffer: column j's rows at [j * nRows, (j + 1) *
 * nRows), a numeric column's values or a categorical column's codes. Names and categories are the
 * schema's, so they need not travel: posting a one-row frame of 30 columns to a thread costs
 * ~15-40 µs of structured cloning (an object per column), this ~3 µs.
 */
export interface PackedFrame {
  nRows: number;
  data: Float64Array;
}

/** Packs a frame whose columns are the schema's features, in order (as RecordEncoder makes them). */
export function packFrame(frame: Frame): PackedFrame {
  const n = frame.nRows;
  const data = new Float64Array(n * frame.columns.length);
  frame.columns.forEach((c, j) => data.set(c.kind === 'numeric' ? c.values : c.codes, j * n));
  return { nRows: n, data };
}

/** The frame `packFrame` packed, its names and categories from `schema` (the one it was encoded by). */
export function unpackFrame(packed: PackedFrame, schema: DatasetSchema): Frame {
  const n = packed.nRows;
  const features = schema.features;
  if (packed.data.length !== n * features.length) {
    throw new Error(`a packed frame of ${packed.data.length} values is not ${n} rows of the schema's ${features.length} features`);
  }
  const columns = features.map((spec, j): Column => {
    const cells = packed.data.subarray(j * n, (j + 1) * n);
    if (spec.kind === 'numeric') return { kind: 'numeric', name: spec.name, values: cells };
    return { kind: 'categorical', name: spec.name, codes: Int32Array.from(cells), categories: spec.values.map(String) };
  });
  return { nRows: n, columns };
}
