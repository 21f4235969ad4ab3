import type { Dataset } from '../data/frame.js';

/**
 * The rows a model version was trained on, kept as content hashes so a later run can score it only
 * on rows it never saw, whatever split that run drew. A row's hash covers every feature value (a
 * category by its text, not its code, which differs between runs) and the label, in schema order:
 * the same row hashes alike in any run. A hash is a 53-bit integer held exactly in a double, and a
 * set is those doubles sorted: 8 bytes a row (8 MB for a million), membership by binary search. A
 * collision (about 1 in 10^4 for two sets of a million rows) only drops a test row from the comparison.
 */
export function rowHashes(data: Dataset): Float64Array {
  const n = data.labels.length;
  const a = new Uint32Array(n).fill(0x811c9dc5);
  const b = new Uint32Array(n).fill(0x6a09e667);
  // MurmurHash3's block step on each word, in two lanes with their own constants. A multiply alone
  // only moves bits upwards: small whole numbers, whose doubles have a zero low word and 20 zero
  // bits in the high one, then left most of the state untouched (the phishing set's 5,849
  // distinct rows hashed to 535 values, and promotion dropped most test rows as "seen").
  // Lane b takes both words folded into one (half the work; lane a keeps all 64 bits apart).
  const mix = (i: number, lo: number, hi: number) => {
    a[i] = round(round(a[i], lo, 0xcc9e2d51, 0x1b873593), hi, 0xcc9e2d51, 0x1b873593);
    b[i] = round(b[i], hi ^ ((lo << 7) | (lo >>> 25)), 0x85ebca6b, 0xc2b2ae35);
  };
  const bits = new Float64Array(1);
  const words = new Uint32Array(bits.buffer);
  for (const col of data.features.columns) {
    if (col.kind === 'numeric') {
      for (let i = 0; i < n; i++) {
        const v = col.values[i];
        // One NaN pattern for every missing cell, and 0 for -0.
        bits[0] = Number.isNaN(v) ? NaN : v === 0 ? 0 : v;
        mix(i, words[0], words[1]);
      }
    } else {
      const cat = col.categories.map(textHash);
      for (let i = 0; i < n; i++) {
        const h = col.codes[i] < 0 ? MISSING : cat[col.codes[i]];
        mix(i, h[0], h[1]);
      }
    }
  }
  const label = data.classes.map(textHash);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const h = data.labels[i] < 0 ? MISSING : label[data.labels[i]];
    mix(i, h[0], h[1]);
    out[i] = (fmix(a[i]) >>> 11) * 2 ** 32 + fmix(b[i]);
  }
  return out;
}

const MISSING: readonly [number, number] = [0x2545f491, 0x9e3779b9];

function textHash(s: string): [number, number] {
  let x = 0x811c9dc5;
  let y = 0x1b873593;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    x = Math.imul(x ^ c, 0x01000193);
    y = Math.imul(y ^ c, 0xcc9e2d51) + i;
  }
  return [fmix(x ^ s.length), fmix(y)];
}

/** One MurmurHash3 block: word `k` into state `h`. */
function round(h: number, k: number, c1: number, c2: number): number {
  k = Math.imul(k, c1);
  k = (k << 15) | (k >>> 17);
  h ^= Math.imul(k, c2);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** MurmurHash3's finaliser: every input bit moves every output bit. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The stored form of a set: the sorted hashes as little-endian doubles. */
export function encodeRowSet(hashes: Float64Array): Uint8Array {
  const sorted = Float64Array.from(hashes).sort();
  return new Uint8Array(sorted.buffer);
}

export function decodeRowSet(bytes: Uint8Array): Float64Array {
  if (bytes.byteLength % 8) throw new Error(`not a row-hash set: ${bytes.byteLength} bytes is not a multiple of 8`);
  // Copied into an aligned buffer: a view at an odd offset cannot be a Float64Array.
  return new Float64Array(bytes.slice().buffer);
}

/** Indices (ascending) of the rows whose hash is not in `set` (sorted). */
export function rowsOutside(hashes: Float64Array, set: Float64Array): Int32Array {
  const out = new Int32Array(hashes.length);
  let kept = 0;
  for (let i = 0; i < hashes.length; i++) if (!contains(set, hashes[i])) out[kept++] = i;
  return out.slice(0, kept);
}

function contains(set: Float64Array, h: number): boolean {
  let lo = 0;
  let hi = set.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (set[mid] === h) return true;
    if (set[mid] < h) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}
