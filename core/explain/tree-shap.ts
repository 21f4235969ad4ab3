import { LEAF, PackedTrees, type PackOptions, type ShapTree } from './packed-trees.js';

export type { ShapTree };

/**
 * Exact path-dependent TreeSHAP (Lundberg, Erion & Lee 2018, "Consistent individualized feature
 * attribution for tree ensembles", Algorithm 2), O(T L D^2) per row, over trees packed into typed
 * arrays. The value function is the path-dependent conditional expectation: a feature outside the
 * coalition sends the row down both children weighted by their covers. A categorical set split is
 * one binary test on its feature like any other. `expected` is the output with no feature known
 * (the cover-weighted mean of the leaves), so expected + sum(phi) = the trees' output.
 */
export class TreeShap {
  readonly expected: number;
  private readonly t: PackedTrees;
  private readonly feature: Int32Array;
  private readonly left: Int32Array;
  private readonly cover: Float64Array;
  private readonly value: Float64Array;
  /** Path scratch: one segment per recursion level, (D + 2)(D + 3) / 2 entries in all. */
  private readonly pFeature: Int32Array;
  private readonly pZero: Float64Array;
  private readonly pOne: Float64Array;
  private readonly pWeight: Float64Array;
  private x: ArrayLike<number> = [];
  private x0 = 0;
  private phi: Float64Array = new Float64Array(0);

  constructor(trees: ShapTree[], o: PackOptions = {}) {
    const t = (this.t = new PackedTrees(trees, o));
    ({ feature: this.feature, left: this.left, cover: this.cover, value: this.value } = t);
    let maxDepth = 0;
    let expected = 0;
    for (const root of t.roots) {
      maxDepth = Math.max(maxDepth, t.depthAt(root));
      expected += t.meanAt(root);
    }
    this.expected = expected;
    const scratch = ((maxDepth + 2) * (maxDepth + 3)) / 2;
    this.pFeature = new Int32Array(scratch);
    this.pZero = new Float64Array(scratch);
    this.pOne = new Float64Array(scratch);
    this.pWeight = new Float64Array(scratch);
  }

  /**
   * Adds the contributions of row `x` (values `x[x0 .. x0 + cols)`) to `phi` (one per column of
   * the model matrix): phi then sums to the trees' output minus `expected`.
   */
  explain(x: ArrayLike<number>, x0: number, phi: Float64Array): void {
    this.x = x;
    this.x0 = x0;
    this.phi = phi;
    for (const root of this.t.roots) this.recurse(root, 0, 0, 1, 1, -1);
  }

  /**
   * One node of Algorithm 2. The path of this level lives at `path` (`depth + 1` entries after the
   * extension), copied from the parent's segment at `parent`.
   */
  private recurse(node: number, depth: number, parent: number, zero: number, one: number, feature: number): void {
    const pF = this.pFeature;
    const pZ = this.pZero;
    const pO = this.pOne;
    const pW = this.pWeight;
    const path = depth === 0 ? 0 : parent + depth;
    if (depth > 0) {
      pF.copyWithin(path, parent, parent + depth);
      pZ.copyWithin(path, parent, parent + depth);
      pO.copyWithin(path, parent, parent + depth);
      pW.copyWithin(path, parent, parent + depth);
    }
    // EXTEND
    pF[path + depth] = feature;
    pZ[path + depth] = zero;
    pO[path + depth] = one;
    pW[path + depth] = depth === 0 ? 1 : 0;
    for (let i = depth - 1; i >= 0; i--) {
      pW[path + i + 1] += (one * pW[path + i] * (i + 1)) / (depth + 1);
      pW[path + i] = (zero * pW[path + i] * (depth - i)) / (depth + 1);
    }

    const f = this.feature[node];
    if (f === LEAF) {
      const v = this.value[node];
      for (let i = 1; i <= depth; i++) {
        const w = unwoundSum(pZ, pO, pW, path, depth, i);
        this.phi[pF[path + i]] += w * (pO[path + i] - pZ[path + i]) * v;
      }
      return;
    }
    const l = this.left[node];
    const hot = this.t.goesLeft(this.x, this.x0, node) ? l : l + 1;
    const cold = hot === l ? l + 1 : l;
    const c = this.cover[node];
    let inZero = 1;
    let inOne = 1;
    let d = depth;
    // A feature already on the path: take its fractions over and remove its earlier entry.
    for (let k = 1; k <= depth; k++) {
      if (pF[path + k] !== f) continue;
      inZero = pZ[path + k];
      inOne = pO[path + k];
      unwind(pF, pZ, pO, pW, path, depth, k);
      d--;
      break;
    }
    this.recurse(hot, d + 1, path, (this.cover[hot] / c) * inZero, inOne, f);
    this.recurse(cold, d + 1, path, (this.cover[cold] / c) * inZero, 0, f);
  }
}

/** Sum of the path weights with entry `k` unwound, without changing the path. */
function unwoundSum(pZ: Float64Array, pO: Float64Array, pW: Float64Array, path: number, depth: number, k: number): number {
  const one = pO[path + k];
  const zero = pZ[path + k];
  let next = pW[path + depth];
  let total = 0;
  if (one !== 0) {
    for (let i = depth - 1; i >= 0; i--) {
      const t = (next * (depth + 1)) / ((i + 1) * one);
      total += t;
      next = pW[path + i] - (t * zero * (depth - i)) / (depth + 1);
    }
  } else if (zero !== 0) {
    for (let i = depth - 1; i >= 0; i--) total += (pW[path + i] * (depth + 1)) / (zero * (depth - i));
  }
  return total;
}

/** Removes entry `k` of the path (UNWIND), shifting the later entries down. */
function unwind(pF: Int32Array, pZ: Float64Array, pO: Float64Array, pW: Float64Array, path: number, depth: number, k: number): void {
  const one = pO[path + k];
  const zero = pZ[path + k];
  let next = pW[path + depth];
  for (let i = depth - 1; i >= 0; i--) {
    if (one !== 0) {
      const t = pW[path + i];
      pW[path + i] = (next * (depth + 1)) / ((i + 1) * one);
      next = t - (pW[path + i] * zero * (depth - i)) / (depth + 1);
    } else {
      pW[path + i] = (pW[path + i] * (depth + 1)) / (zero * (depth - i));
    }
  }
  for (let i = k; i < depth; i++) {
    pF[path + i] = pF[path + i + 1];
    pZ[path + i] = pZ[path + i + 1];
    pO[path + i] = pO[path + i + 1];
  }
}
