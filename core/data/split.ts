import { Rng } from './rng.js';

function byClass(labels: Int32Array): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  labels.forEach((y, i) => {
    const g = groups.get(y);
    if (g) g.push(i);
    else groups.set(y, [i]);
  });
  return groups;
}

export interface Split {
  train: Int32Array;
  test: Int32Array;
}

/** Seeded stratified train/test split: each class keeps its share in both parts. */
export function stratifiedSplit(labels: Int32Array, testFraction: number, seed: number): Split {
  if (!(testFraction > 0 && testFraction < 1)) throw new RangeError('testFraction must be in (0, 1)');
  const rng = new Rng(seed);
  const train: number[] = [];
  const test: number[] = [];
  for (const idx of byClass(labels).values()) {
    rng.shuffle(idx);
    const nTest = Math.round(idx.length * testFraction);
    test.push(...idx.slice(0, nTest));
    train.push(...idx.slice(nTest));
  }
  return { train: Int32Array.from(rng.shuffle(train)), test: Int32Array.from(rng.shuffle(test)) };
}

/** Seeded stratified k-fold: fold f's validation rows hold every class in proportion. */
export function stratifiedKFold(labels: Int32Array, k: number, seed: number): Split[] {
  if (!Number.isInteger(k) || k < 2) throw new RangeError('k must be an integer >= 2');
  const rng = new Rng(seed);
  const foldOf = new Int32Array(labels.length);
  let offset = 0;
  for (const idx of byClass(labels).values()) {
    rng.shuffle(idx);
    // Continue the round-robin across classes so fold sizes differ by at most one.
    idx.forEach((row, i) => (foldOf[row] = (i + offset) % k));
    offset = (offset + idx.length) % k;
  }
  return Array.from({ length: k }, (_, f) => {
    const train: number[] = [];
    const test: number[] = [];
    foldOf.forEach((g, row) => (g === f ? test : train).push(row));
    return { train: Int32Array.from(train), test: Int32Array.from(test) };
  });
}

/** Complement of `rows` in [0, n): used to rebuild a split from a list of test indices. */
export function complement(n: number, rows: ArrayLike<number>): Int32Array {
  const taken = new Uint8Array(n);
  for (let i = 0; i < rows.length; i++) taken[rows[i]] = 1;
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (!taken[i]) out.push(i);
  return Int32Array.from(out);
}
