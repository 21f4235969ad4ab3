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
const PAD = new Uint8Array(8);
const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/**
 * A dataset as the parts of one binary object, in order: magic, a JSON header, then each column's
 * typed array (float64 values or int32 codes) and the int32 labels, 8-byte aligned. The arrays are
 * views of the dataset's own memory, not copies: a writer that takes parts (a file or multipart
 * upload) stores a million-row dataset without a second copy of it in memory.
 */
export function encodeDatasetParts(d: Dataset): Uint8Array[] {
  const arrays: ArrayBufferView[] = d.features.columns.map((c) => (c.kind === 'numeric' ? c.values : c.codes));
  arrays.push(d.labels);
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
  const head = new Uint8Array(align8(MAGIC.length + 4 + json.length));
  head.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(head.buffer).setUint32(MAGIC.length, json.length, true);
  head.set(json, MAGIC.length + 4);
  const parts: Uint8Array[] = [head];
  for (const a of arrays) {
    parts.push(bytesOf(a));
    if (a.byteLength % 8) parts.push(PAD.subarray(0, align8(a.byteLength) - a.byteLength));
  }
  return parts;
}

/** The dataset as one binary object (see `encodeDatasetParts`): no parsing, exact round trip, a stable digest. */
export function encodeDataset(d: Dataset): Uint8Array {
  return Buffer.concat(encodeDatasetParts(d));
}

/**
 * Reads a dataset object. The columns are views of `bytes` when their offsets are 8-byte aligned
 * (a whole file or object read into its own buffer always is), so decoding copies nothing; they are
 * copied only from a misaligned slice. The dataset then shares memory with `bytes`.
 */
export function decodeDataset(bytes: Uint8Array): Dataset {
  if (new TextDecoder().decode(bytes.subarray(0, MAGIC.length)) !== MAGIC) throw new Error('not a threatmatrix dataset object');
  const len = new DataView(bytes.buffer, bytes.byteOffset).getUint32(MAGIC.length, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(MAGIC.length + 4, MAGIC.length + 4 + len))) as Header;
  const start = align8(MAGIC.length + 4 + len);
  const region = (s: Span): [ArrayBufferLike, number] => {
    const at = bytes.byteOffset + start + s.offset;
    if (start + s.offset + s.length > bytes.byteLength) throw new Error('truncated threatmatrix dataset object');
    return at % 8 === 0 ? [bytes.buffer, at] : [bytes.slice(start + s.offset, start + s.offset + s.length).buffer, 0];
  };
  const float64 = (s: Span) => {
    const [buffer, at] = region(s);
    return new Float64Array(buffer, at, s.length / 8);
  };
  const int32 = (s: Span) => {
    const [buffer, at] = region(s);
    return new Int32Array(buffer, at, s.length / 4);
  };
  const columns: Column[] = header.columns.map((c) =>
    c.kind === 'numeric' ? { kind: 'numeric', name: c.name, values: float64(c.data) } : { kind: 'categorical', name: c.name, codes: int32(c.data), categories: c.categories ?? [] },
  );
  return { features: { nRows: header.nRows, columns }, labels: int32(header.labels), classes: header.classes, positiveClass: header.positiveClass };
}
