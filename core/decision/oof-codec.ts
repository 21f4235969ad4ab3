/**
 * Out-of-fold threat scores of a family's chosen config, as a compact binary artifact:
 *   "TMOF" | u32 version 1 | u32 rows | f32 raw score[rows] | f64 calibrated score[rows]
 *   | u8 threat outcome[rows] | u8 fold[rows]                        (little-endian)
 * 14 bytes a row: 14 MB at a million rows. The scores thresholds are chosen on are kept as doubles:
 * rounded to float32, a threshold at a served score's value could end up just above it.
 */
export interface OutOfFold {
  /** The model's threat score P(any threat class) on rows it was not fitted on. */
  score: Float64Array;
  /** The same rows through the calibrator the pipeline serves with (= score when not calibrated): thresholds are chosen on these. */
  calibrated: Float64Array;
  /** 1 where the row's class is a threat class. */
  isThreat: Uint8Array;
  fold: Uint8Array;
}

const MAGIC = 0x464f4d54; // "TMOF" read as a little-endian u32

export function encodeOutOfFold(o: OutOfFold): Uint8Array {
  const n = o.score.length;
  const bytes = new Uint8Array(12 + 14 * n);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, 1, true);
  view.setUint32(8, n, true);
  for (let i = 0; i < n; i++) {
    view.setFloat32(12 + 4 * i, o.score[i], true);
    view.setFloat64(12 + 4 * n + 8 * i, o.calibrated[i], true);
  }
  bytes.set(o.isThreat, 12 + 12 * n);
  bytes.set(o.fold, 12 + 13 * n);
  return bytes;
}

export function decodeOutOfFold(bytes: Uint8Array): OutOfFold {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 12 || view.getUint32(0, true) !== MAGIC) throw new Error('not an out-of-fold scores artifact');
  if (view.getUint32(4, true) !== 1) throw new Error(`out-of-fold scores version ${view.getUint32(4, true)} is not supported`);
  const n = view.getUint32(8, true);
  if (bytes.byteLength !== 12 + 14 * n) throw new Error(`out-of-fold scores: ${bytes.byteLength} bytes for ${n} rows`);
  const score = new Float64Array(n);
  const calibrated = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    score[i] = view.getFloat32(12 + 4 * i, true);
    calibrated[i] = view.getFloat64(12 + 4 * n + 8 * i, true);
  }
  return { score, calibrated, isThreat: bytes.slice(12 + 12 * n, 12 + 13 * n), fold: bytes.slice(12 + 13 * n, 12 + 14 * n) };
}
