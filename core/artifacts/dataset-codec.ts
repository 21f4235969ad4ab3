import type { Column, Dataset } from '../data/frame.js';

const MAGIC = 'TMDS0001';

interface Header {
  nRows: number;
  classes: string[];
  positiveClass: number;
  labels: Span;
  columns: { name: string; kind: 'numeric' | 'categorical'; categories?: string[]; data: Span }[];
}
interface Span {
  offset: number;
  length: number;
}

const align8 = (n: number) => (n + 7) & ~7;

/**
 * A dataset as one binary object: magic, a JSON header, then each column's typed array
 * (float64 values or int32 codes) and the int32 labels, 8-byte aligned. Stages pass datasets
 * between them this way: no parsing, exact round trip, and a stable digest.
 */
export function encodeDataset(d: Dataset): Uint8Array {
  const arrays: ArrayBufferView[] = [...d.features.columns.map((c) => (c.kind === 'numeric' ? c.values : c.codes)), d.labels];
  let at = 0;
  const spans = arrays.map((a) => {
    const span = { offset: at, length: a.byteLength };
    at = align8(at + a.byteLength);
    return span;
  });
  const header: Header = {
    nRows: d.features.nRows,
    classes: d.classes,
    positiveClass: d.positiveClass,
    labels: spans[spans.length - 1],
    columns: d.features.columns.map((c, i) => ({ name: c.name, kind: c.kind, categories: c.kind === 'categorical' ? c.categories : undefined, data: spans[i] })),
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const start = align8(MAGIC.length + 4 + json.length);
  const out = new Uint8Array(start + at);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(MAGIC.length, json.length, true);
  out.set(json, MAGIC.length + 4);
  arrays.forEach((a, i) => out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), start + spans[i].offset));
  return out;
}

export function decodeDataset(bytes: Uint8Array): Dataset {
  if (new TextDecoder().decode(bytes.subarray(0, MAGIC.length)) !== MAGIC) throw new Error('not a threatmatrix dataset object');
  const len = new DataView(bytes.buffer, bytes.byteOffset).getUint32(MAGIC.length, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(MAGIC.length + 4, MAGIC.length + 4 + len))) as Header;
  const start = align8(MAGIC.length + 4 + len);
  const slice = (s: Span) => bytes.slice(start + s.offset, start + s.offset + s.length).buffer;
  const columns: Column[] = header.columns.map((c) =>
    c.kind === 'numeric'
      ? { kind: 'numeric', name: c.name, values: new Float64Array(slice(c.data)) }
      : { kind: 'categorical', name: c.name, codes: new Int32Array(slice(c.data)), categories: c.categories ?? [] },
  );
  return { features: { nRows: header.nRows, columns }, labels: new Int32Array(slice(header.labels)), classes: header.classes, positiveClass: header.positiveClass };
}
