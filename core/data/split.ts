import { Rng } from './rng.js';

/**
 * Row indices grouped by class, classes in order of first appearance, rows ascending in each:
 * `rows.subarray(start[g], start[g + 1])` is group g. One typed array for every row, so a
 * million-row split allocates no per-row JavaScript arrays.
 */
function byClass(labels: Int32Array): { rows: Int32Array; start: Int32Array } {
  const slot = new Map<number, number>();
  const groupOf = new Int32Array(labels.length);
  const counts: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    let g = slot.get(labels[i]);
    if (g === undefined) {
      g = counts.length;
      slot.set(labels[i], g);
      counts.push(0);
    }
    groupOf[i] = g;
    counts[g]++;
  }
  const start = new Int32Array(counts.length + 1);
  for (let g = 0; g < counts.length; g++) start[g + 1] = start[g] + counts[g];
  const next = start.slice(0, counts.length);
  const rows = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) rows[next[groupOf[i]]++] = i;
  return { rows, start };
}

export interface Split {
  train: Int32Array;
  test: Int32Array;
}

/** Seeded stratified train/test split: each class keeps its share in both parts. */
export function stratifiedSplit(labels: Int32Array, testFraction: number, seed: number): Split {
  if (!(testFraction > 0 && testFraction < 1)) throw new RangeError('testFraction must be in (0, 1)');
  const rng = new Rng(seed);
  const { rows, start } = byClass(labels);
  const groups = start.length - 1;
  let nTestAll = 0;
  for (let g = 0; g < groups; g++) nTestAll += Math.round((start[g + 1] - start[g]) * testFraction);
  const train = new Int32Array(labels.length - nTestAll);
  const test = new Int32Array(nTestAll);
  let atTrain = 0;
  let atTest = 0;
  for (let g = 0; g < groups; g++) {
    const idx = rng.shuffle(rows.subarray(start[g], start[g + 1]));
    const nTest = Math.round(idx.length * testFraction);
    test.set(idx.subarray(0, nTest), atTest);
    train.set(idx.subarray(nTest), atTrain);
    atTest += nTest;
    atTrain += idx.length - nTest;
  }
  rng.shuffle(train);
  rng.shuffle(test);
  return { train, test };
}

/** Seeded stratified k-fold: fold f's validation rows hold every class in proportion. */
export function stratifiedKFold(labels: Int32Array, k: number, seed: number): Split[] {
  if (!Number.isInteger(k) || k < 2) throw new RangeError('k must be an integer >= 2');
  const rng = new Rng(seed);
  const { rows, start } = byClass(labels);
  const foldOf = new Int32Array(labels.length);
  const sizes = new Int32Array(k);
  let offset = 0;
  for (let g = 0; g + 1 < start.length; g++) {
    const idx = rng.shuffle(rows.subarray(start[g], start[g + 1]));
    // Continue the round-robin across classes so fold sizes differ by at most one.
    for (let i = 0; i < idx.length; i++) {
      const f = (i + offset) % k;
      foldOf[idx[i]] = f;
      sizes[f]++;
    }
    offset = (offset + idx.length) % k;
  }
  const folds: Split[] = [];
  for (let f = 0; f < k; f++) {
    const test = new Int32Array(sizes[f]);
    const train = new Int32Array(labels.length - sizes[f]);
    let atTest = 0;
    let atTrain = 0;
    for (let row = 0; row < foldOf.length; row++) {
      if (foldOf[row] === f) test[atTest++] = row;
      else train[atTrain++] = row;
    }
    folds.push({ train, test });
  }
  return folds;
}

/** Complement of `rows` in [0, n): used to rebuild a split from a list of test indices. */
export function complement(n: number, rows: ArrayLike<number>): Int32Array {
  const taken = new Uint8Array(n);
  let count = 0;
  for (let i = 0; i < rows.length; i++) {
    if (!taken[rows[i]]) count++;
    taken[rows[i]] = 1;
  }
  const out = new Int32Array(n - count);
  let at = 0;
  for (let i = 0; i < n; i++) if (!taken[i]) out[at++] = i;
  return out;
}
