import { Rng } from './rng.js';

/**
 * A seeded order of row indices whose every prefix is stratified: each class's rows are shuffled
 * and spread evenly over the order, so the first r rows hold each class in its share (within one
 * row). Successive halving takes growing prefixes, so a bigger round's rows contain the smaller's.
 */
export function stratifiedOrder(labels: Int32Array, seed: number): Int32Array {
  const n = labels.length;
  const rng = new Rng(seed);
  let K = 0;
  for (let i = 0; i < n; i++) if (labels[i] + 1 > K) K = labels[i] + 1;
  const count = new Int32Array(K);
  for (let i = 0; i < n; i++) count[labels[i]]++;
  const perm = rng.shuffle(Int32Array.from({ length: n }, (_, i) => i));
  // Key = (rank within its class + 0.5) / class size: the classes interleave in proportion.
  const seen = new Int32Array(K);
  const key = new Float64Array(n);
  for (const row of perm) {
    const c = labels[row];
    key[row] = (seen[c]++ + 0.5) / count[c];
  }
  return perm.sort((a, b) => key[a] - key[b] || a - b);
}

/** The first `rows` of a stratified order (all of it when rows >= its length). */
export function stratifiedSample(order: Int32Array, rows: number): Int32Array {
  return rows >= order.length ? order : order.subarray(0, rows);
}
