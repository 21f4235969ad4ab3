import { LEAF, PackedTrees, type PackOptions, type ShapTree } from './packed-trees.js';

/** Leaves with at most this many distinct features on their path get a precomputed table (2^d numbers; measured on phishing boosting: 8 runs as fast as 11 and builds in a third of the time). */
const TABLE_MAX_FEATURES = 8;
/** Table numbers per explainer at most (8 bytes each); later leaves compute per row. */
const TABLE_BUDGET = 1 << 21;

/**
 * Path-dependent TreeSHAP, the same values as Algorithm 2 (`TreeShap`), computed per leaf.
 * The path-dependent expectation is a sum over leaves of v * prod_j (j known ? o_j : z_j) over the
 * distinct features j on the leaf's path, where z_j is the product of the cover fractions of j's
 * splits on the path and o_j is 1 when the row satisfies all of them. The Shapley values of that
 * product (d players) with H = {j : o_j = 1}, C the rest, Z_C = prod_{j in C} z_j and
 *   G(T) = sum_{S subset of T} |S|! (d - |S| - 1)! / d! * prod_{j in T \ S} z_j
 * are: v (1 - z_i) Z_C G(H \ {i}) for i in H, and -v Z_C G(H) for i in C.
 * G depends on the row only through H, so each leaf with d <= TABLE_MAX_FEATURES stores G for
 * all 2^d subsets (built once, O(2^d d)), and a row costs O(d) per leaf instead of O(D^2) (after
 * "Fast TreeSHAP", Yang 2021); deeper leaves compute G from the polynomial prod_{j in H}(z_j + s)
 * per row, O(d^2).
 */
export class FastTreeShap {
  readonly expected: number;
  private readonly t: PackedTrees;
  private readonly dir: Uint8Array;
  // Per leaf: its value, first step, steps, distinct features, first distinct feature, table offset (-1: none).
  private readonly leafValue: Float64Array;
  private readonly leafStep: Int32Array;
  private readonly leafSteps: Int32Array;
  private readonly leafD: Int32Array;
  private readonly leafU: Int32Array;
  private readonly leafTable: Int32Array;
  // Per step of a leaf's path: the split node, whether the path goes left there, the distinct feature's index in the leaf.
  private readonly stepNode: Int32Array;
  private readonly stepLeft: Uint8Array;
  private readonly stepU: Uint8Array;
  // Per distinct feature of a leaf: the column, z.
  private readonly uFeature: Int32Array;
  private readonly uZero: Float64Array;
  private readonly tables: Float64Array;
  /** w(k) = k! (d - k - 1)! / d! at weights[d * (d + 1) / 2 + k] for d up to the deepest path. */
  private readonly weights: Float64Array;
  // Scratch of the per-row path (deep leaves).
  private readonly hot: Uint8Array;
  private readonly poly: Float64Array;
  private readonly quot: Float64Array;

  /** `tableMaxFeatures`: leaves with more distinct path features compute per row (default TABLE_MAX_FEATURES; 0 = never a table). */
  constructor(trees: ShapTree[], o: PackOptions & { tableMaxFeatures?: number } = {}) {
    const tableMax = Math.min(o.tableMaxFeatures ?? TABLE_MAX_FEATURES, TABLE_MAX_FEATURES);
    const t = (this.t = new PackedTrees(trees, o));
    this.dir = new Uint8Array(t.feature.length);
    const leaves: { value: number; steps: { node: number; left: boolean }[] }[] = [];
    for (const root of t.roots) collectLeaves(t, root, [], leaves);
    const nSteps = leaves.reduce((s, l) => s + l.steps.length, 0);
    this.leafValue = new Float64Array(leaves.length);
    this.leafStep = new Int32Array(leaves.length);
    this.leafSteps = new Int32Array(leaves.length);
    this.leafD = new Int32Array(leaves.length);
    this.leafU = new Int32Array(leaves.length);
    this.leafTable = new Int32Array(leaves.length).fill(-1);
    this.stepNode = new Int32Array(nSteps);
    this.stepLeft = new Uint8Array(nSteps);
    this.stepU = new Uint8Array(nSteps);
    const uFeature: number[] = [];
    const uZero: number[] = [];
    const tableOf: { leaf: number; d: number }[] = [];
    let step = 0;
    let maxD = 0;
    let expected = 0;
    let budget = TABLE_BUDGET;
    leaves.forEach((leaf, l) => {
      const first = uFeature.length;
      this.leafValue[l] = leaf.value;
      this.leafStep[l] = step;
      this.leafSteps[l] = leaf.steps.length;
      this.leafU[l] = first;
      for (const s of leaf.steps) {
        const f = t.feature[s.node];
        const child = s.left ? t.left[s.node] : t.left[s.node] + 1;
        let u = uFeature.indexOf(f, first) - first;
        if (u < 0) {
          u = uFeature.push(f) - 1 - first;
          uZero.push(1);
        }
        uZero[first + u] *= t.cover[child] / t.cover[s.node];
        this.stepNode[step] = s.node;
        this.stepLeft[step] = s.left ? 1 : 0;
        this.stepU[step++] = u;
      }
      const d = uFeature.length - first;
      this.leafD[l] = d;
      maxD = Math.max(maxD, d);
      let z = leaf.value;
      for (let u = first; u < uFeature.length; u++) z *= uZero[u];
      expected += z;
      if (d <= tableMax && budget >= 1 << d) {
        budget -= 1 << d;
        tableOf.push({ leaf: l, d });
      }
    });
    this.expected = expected;
    this.uFeature = Int32Array.from(uFeature);
    this.uZero = Float64Array.from(uZero);
    this.weights = shapleyWeights(maxD);
    this.tables = new Float64Array(tableOf.reduce((s, e) => s + (1 << e.d), 0));
    let at = 0;
    const scratch = new Float64Array((1 << TABLE_MAX_FEATURES) * (TABLE_MAX_FEATURES + 1));
    for (const { leaf, d } of tableOf) {
      this.leafTable[leaf] = at;
      fillTable(this.tables, at, this.uZero, this.leafU[leaf], d, this.weights, scratch);
      at += 1 << d;
    }
    this.hot = new Uint8Array(maxD);
    this.poly = new Float64Array(maxD + 2);
    this.quot = new Float64Array(maxD + 2);
  }

  /** Adds row x's (values at x0 ..) contributions to `phi` (one per model column). */
  explain(x: ArrayLike<number>, x0: number, phi: Float64Array): void {
    const { dir, leafValue, leafStep, leafSteps, leafD, leafU, leafTable, stepNode, stepLeft, stepU, uFeature, uZero, tables } = this;
    this.t.decideAll(x, x0, dir);
    for (let l = 0; l < leafValue.length; l++) {
      const v = leafValue[l];
      if (v === 0) continue;
      const table = leafTable[l];
      if (table < 0) {
        this.explainLeaf(l, phi);
        continue;
      }
      const d = leafD[l];
      let mask = (1 << d) - 1;
      for (let s = leafStep[l], end = s + leafSteps[l]; s < end; s++) if (dir[stepNode[s]] !== stepLeft[s]) mask &= ~(1 << stepU[s]);
      const u0 = leafU[l];
      let vz = v;
      for (let u = 0; u < d; u++) if (!((mask >> u) & 1)) vz *= uZero[u0 + u];
      const cold = vz * tables[table + mask];
      for (let u = 0; u < d; u++) {
        const bit = 1 << u;
        if (mask & bit) phi[uFeature[u0 + u]] += vz * (1 - uZero[u0 + u]) * tables[table + (mask ^ bit)];
        else phi[uFeature[u0 + u]] -= cold;
      }
    }
  }

  /** A leaf without a table: G(H) and G(H \ {i}) from prod_{j in H}(z_j + s) and its quotients. */
  private explainLeaf(l: number, phi: Float64Array): void {
    const { dir, hot, poly, quot, uZero, uFeature } = this;
    const d = this.leafD[l];
    const u0 = this.leafU[l];
    hot.fill(1, 0, d);
    for (let s = this.leafStep[l], end = s + this.leafSteps[l]; s < end; s++) if (dir[this.stepNode[s]] !== this.stepLeft[s]) hot[this.stepU[s]] = 0;
    let vz = this.leafValue[l];
    // poly[m]: coefficient of s^m in prod over hot j of (z_j + s).
    poly[0] = 1;
    let n = 0;
    for (let u = 0; u < d; u++) {
      const z = uZero[u0 + u];
      if (!hot[u]) {
        vz *= z;
        continue;
      }
      poly[++n] = 0;
      for (let m = n; m > 0; m--) poly[m] = poly[m - 1] + z * poly[m];
      poly[0] *= z;
    }
    const w = this.weights;
    const wd = (d * (d + 1)) / 2;
    let gH = 0;
    for (let k = 0; k <= n && k < d; k++) gH += w[wd + k] * poly[k];
    for (let u = 0; u < d; u++) {
      if (!hot[u]) {
        phi[uFeature[u0 + u]] -= vz * gH;
        continue;
      }
      const z = uZero[u0 + u];
      // Divide by (z + s), from the top: stable for z <= 1.
      quot[n - 1] = poly[n];
      for (let m = n - 1; m > 0; m--) quot[m - 1] = poly[m] - z * quot[m];
      let g = 0;
      for (let k = 0; k < n; k++) g += w[wd + k] * quot[k];
      phi[uFeature[u0 + u]] += vz * (1 - z) * g;
    }
  }
}

/** Every leaf under `node` with the splits that lead to it, depth first. */
function collectLeaves(t: PackedTrees, node: number, path: { node: number; left: boolean }[], out: { value: number; steps: { node: number; left: boolean }[] }[]): void {
  // Iterative: leaf-wise trees can be deep.
  const stack: { node: number; path: { node: number; left: boolean }[] }[] = [{ node, path }];
  while (stack.length) {
    const { node: n, path: p } = stack.pop()!;
    if (t.feature[n] === LEAF) {
      out.push({ value: t.value[n], steps: p });
      continue;
    }
    stack.push({ node: t.left[n] + 1, path: [...p, { node: n, left: false }] }, { node: t.left[n], path: [...p, { node: n, left: true }] });
  }
}

/** k! (d - k - 1)! / d! for d = 0..maxD, k = 0..d (0 at k = d), laid out by d. */
function shapleyWeights(maxD: number): Float64Array {
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
 * G(T) for every subset T (bit u = distinct feature u) of a leaf's d features, at `at`:
 * G(T) = sum_k w(k) e_{|T|-k}(z_T), the elementary symmetric sums built subset by subset.
 */
function fillTable(out: Float64Array, at: number, zs: Float64Array, u0: number, d: number, weights: Float64Array, e: Float64Array): void {
  const W = d + 1;
  const wd = (d * (d + 1)) / 2;
  e[0] = 1;
  for (let m = 1; m < W; m++) e[m] = 0;
  out[at] = weights[wd];
  for (let mask = 1; mask < 1 << d; mask++) {
    const low = mask & -mask;
    const prev = mask ^ low;
    const z = zs[u0 + 31 - Math.clz32(low)];
    const o = mask * W;
    const p = prev * W;
    e[o] = z * e[p];
    for (let m = 1; m < W; m++) e[o + m] = z * e[p + m] + e[p + m - 1];
    // Here e[o + m] is the coefficient of s^m in prod_{j in T}(z_j + s) = e_{|T| - m}(z_T).
    let g = 0;
    for (let k = 0; k < d; k++) g += weights[wd + k] * e[o + k];
    out[at + mask] = g;
  }
}
