import type { Block } from './leaf-paths.js';

/** k! (d - k - 1)! / d! for d = 0..maxD, k = 0..d (0 at k = d), laid out by d: w(k) at [d (d + 1) / 2 + k]. */
export function shapleyWeights(maxD: number): Float64Array {
  const w = new Float64Array(((maxD + 1) * (maxD + 2)) / 2);
  for (let d = 1; d <= maxD; d++) {
    // w(0) = 1/d; w(k + 1) = w(k) (k + 1) / (d - k - 1).
    let v = 1 / d;
    for (let k = 0; k < d; k++) {
      w[(d * (d + 1)) / 2 + k] = v;
      v = (v * (k + 1)) / (d - k - 1);
    }
  }
  return w;
}

/**
 * G(T) for every subset T (bit u = distinct feature u) of a leaf's d features (z at zs[u0 + u]),
 * at `at`. With G_j(T) = sum_{S subset of T} w(|S| + j) prod_{i in T \ S} z_i (G = G_0, and
 * G_j(empty) = w(j)), adding feature i gives G_j(T + i) = G_{j+1}(T) + z_i G_j(T): built subset by
 * subset in `e` (2^d (d + 1) numbers), d - |T| + 1 numbers per subset.
 */
export function fillTable(out: Float64Array, at: number, zs: Float64Array, u0: number, d: number, weights: Float64Array, e: Float64Array): void {
  const W = d + 1;
  const wd = (d * (d + 1)) / 2;
  for (let j = 0; j <= d; j++) e[j] = weights[wd + j];
  out[at] = e[0];
  for (let mask = 1; mask < 1 << d; mask++) {
    const low = mask & -mask;
    const p = (mask ^ low) * W;
    const z = zs[u0 + 31 - Math.clz32(low)];
    const o = mask * W;
    for (let j = 0, top = d - popcount(mask); j <= top; j++) e[o + j] = e[p + j + 1] + z * e[p + j];
    out[at + mask] = e[o];
  }
}

/** Set bits of a 32-bit mask. */
function popcount(m: number): number {
  m -= (m >>> 1) & 0x55555555;
  m = (m & 0x33333333) + ((m >>> 2) & 0x33333333);
  return (((m + (m >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/**
 * A block's table at `at`: for every key (bits 0 .. p-1: the features above satisfied so far;
 * bit p + j: the row goes left at the block's j-th split), the summed contributions of its leaves
 * to its features, key * width + w. A leaf with satisfied set H (bit u: its u-th distinct
 * feature), C the rest, adds v (1 - z_i) Z_C G(H \ {i}) for i in H and -v Z_C G(H) for i in C.
 */
export function fillBlock(out: Float64Array, at: number, block: Block, weights: Float64Array, e: Float64Array): void {
  const { p, features } = block;
  const width = features.length;
  const keys = 2 ** (p + block.splits.length);
  const splitOf = new Map(block.splits.map((n, j) => [n, j]));
  for (const leaf of block.leaves) {
    const d = leaf.features.length;
    const g = new Float64Array(1 << d);
    const zs = Float64Array.from(leaf.zeros);
    fillTable(g, 0, zs, 0, d, weights, e);
    const wOf = leaf.features.map((f) => features.indexOf(f));
    // The leaf's steps inside the block: the key bit of the split, the direction of the path, the feature.
    const inside = leaf.steps.filter((s) => splitOf.has(s.node)).map((s) => ({ bit: p + splitOf.get(s.node)!, left: s.left ? 1 : 0, u: s.u }));
    const all = (1 << d) - 1;
    for (let key = 0; key < keys; key++) {
      // Features first split inside the block start satisfied; those above come from the key.
      let mask = (key | ~((1 << p) - 1)) & all;
      for (const s of inside) if (((key >> s.bit) & 1) !== s.left) mask &= ~(1 << s.u);
      let vz = leaf.value;
      for (let u = 0; u < d; u++) if (!((mask >> u) & 1)) vz *= zs[u];
      const cold = vz * g[mask];
      const o = at + key * width;
      for (let u = 0; u < d; u++) {
        const bit = 1 << u;
        out[o + wOf[u]] += mask & bit ? vz * (1 - zs[u]) * g[mask ^ bit] : -cold;
      }
    }
  }
}
