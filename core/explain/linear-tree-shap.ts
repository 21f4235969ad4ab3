import { gaussLegendre } from './gauss-legendre.js';
import { LEAF, PackedTrees, type PackOptions, type ShapTree } from './packed-trees.js';

/**
 * Path-dependent TreeSHAP in O(nodes x n) per tree and row, no tables: the same values as
 * Algorithm 2 (`TreeShap`). By Owen's integral, leaf v with distinct path features P, each with
 * zero fraction z_j (product of its splits' cover fractions on the path) and o_j (1 when the row
 * satisfies all of them), gives feature i
 *   v (o_i - z_i) integral_0^1 prod_{j in P, j != i} f_j(t) dt,   f_j(t) = z_j (1 - t) + o_j t.
 * The integrand is a polynomial of degree < |P|, so an n = ceil(D / 2) point Gauss-Legendre rule
 * (D: the tree's most distinct path features) is exact, and every polynomial is kept as its values
 * at the n nodes, where products are pointwise (Linear TreeSHAP, Yu et al. 2022, with Gauss-Legendre
 * nodes in place of Chebyshev ones: exact and well conditioned). Per tree and row:
 * - down (parents first): P(c) = P(parent) f_i^c / f_i^before, the path product with child c's
 *   factor for the split's feature i in place of i's factor above (1 when i is new); at a leaf,
 *   S(leaf) = v P(leaf);
 * - up (children first): S(node) = S(left) + S(right); at a split on i, the leaves under child c
 *   whose last split on i it is give i (o_i^c - z_i^c) sum_m w_m U(c)_m / f_i^c(t_m), where U(c)
 *   is S(c) less the S of the topmost splits on i inside c (their leaves carry their own i factor).
 */
export class LinearTreeShap {
  readonly expected: number;
  private readonly t: PackedTrees;
  /** Per tree: its first node [treeNode[t], treeNode[t + 1]) in preorder, its quadrature's first entry. */
  private readonly treeNode: Int32Array;
  private readonly treeQ: Int32Array;
  /** Per tree: quadrature points n. */
  private readonly treeN: Int32Array;
  // Quadrature per tree at treeQ[t] ..: nodes t_m, weights w_m, and w_m / (1 - t_m) (a cold child's sum needs no division).
  private readonly qT: Float64Array;
  private readonly qW: Float64Array;
  private readonly qWCold: Float64Array;
  // Per node (preorder within its tree; children and ancestors as local indices): column (LEAF for leaves), threshold,
  // NaN goes left, categorical packed node (or -1), left and right child, leaf value.
  private readonly feature: Int32Array;
  private readonly threshold: Float64Array;
  private readonly nanLeft: Uint8Array;
  private readonly catNode: Int32Array;
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  private readonly value: Float64Array;
  /**
   * Per node below the root: z of its parent's feature at it, its cover over its parent's, and the
   * node whose factor for that feature it replaces (the child of the nearest split above on it), or -1.
   */
  private readonly zero: Float64Array;
  private readonly ratio: Float64Array;
  private readonly before: Int32Array;
  /** Per node: its claims [claimAt[k], claimAt[k + 1]) in `claims`, the topmost splits on its parent's feature inside it. */
  private readonly claimAt: Int32Array;
  private readonly claims: Int32Array;
  // Row scratch per node of a tree: P then S (n numbers each); o.
  private readonly buf: Float64Array;
  private readonly hot: Uint8Array;

  constructor(trees: ShapTree[], o: PackOptions = {}) {
    const t = (this.t = new PackedTrees(trees, o));
    const T = t.roots.length;
    const total = t.feature.length;
    this.treeNode = new Int32Array(T + 1);
    this.treeQ = new Int32Array(T + 1);
    this.treeN = new Int32Array(T);
    this.feature = new Int32Array(total);
    this.threshold = new Float64Array(total);
    this.nanLeft = new Uint8Array(total);
    this.catNode = new Int32Array(total).fill(-1);
    this.left = new Int32Array(total).fill(-1);
    this.right = new Int32Array(total).fill(-1);
    this.value = new Float64Array(total);
    this.zero = new Float64Array(total).fill(1);
    this.ratio = new Float64Array(total).fill(1);
    this.before = new Int32Array(total).fill(-1);
    this.claimAt = new Int32Array(total + 1);
    const claims: number[] = [];
    const quad: { t: number[]; w: number[]; wc: number[] } = { t: [], w: [], wc: [] };
    let expected = 0;
    let maxNodes = 1;
    let maxN = 1;
    for (let ti = 0; ti < T; ti++) {
      const base = this.treeNode[ti];
      const tree = this.packTree(t, t.roots[ti], base);
      // Nodes no path reaches (none in trees we build) are left out.
      const N = tree.nodes;
      this.treeNode[ti + 1] = base + N;
      // Claims of each node: the splits whose children replace its factor.
      const byNode: number[][] = Array.from({ length: N }, () => []);
      for (let k = 0; k < N; k++) {
        const l = this.left[base + k];
        if (l >= 0 && this.before[base + l] >= 0) byNode[this.before[base + l]].push(k);
      }
      for (let k = 0; k < N; k++) {
        this.claimAt[base + k] = claims.length;
        for (const s of byNode[k]) claims.push(s);
      }
      const n = Math.max(1, Math.ceil(tree.maxFeatures / 2));
      const q = gaussLegendre(n);
      this.treeN[ti] = n;
      this.treeQ[ti + 1] = this.treeQ[ti] + n;
      for (let m = 0; m < n; m++) {
        quad.t.push(q.nodes[m]);
        quad.w.push(q.weights[m]);
        quad.wc.push(q.weights[m] / (1 - q.nodes[m]));
      }
      expected += t.meanAt(t.roots[ti]);
      maxNodes = Math.max(maxNodes, N);
      maxN = Math.max(maxN, n);
    }
    this.claimAt[total] = claims.length;
    this.claims = Int32Array.from(claims);
    this.qT = Float64Array.from(quad.t);
    this.qW = Float64Array.from(quad.w);
    this.qWCold = Float64Array.from(quad.wc);
    this.expected = expected;
    this.buf = new Float64Array(maxNodes * maxN);
    this.hot = new Uint8Array(maxNodes);
  }

  /**
   * Lays out the tree at packed node `root` in preorder from `base`: children, the node each child's
   * factor replaces, z and cover ratios. Returns its node count and most distinct features on a path.
   */
  private packTree(t: PackedTrees, root: number, base: number): { nodes: number; maxFeatures: number } {
    // Per feature on the current path: the local node holding its factor (-1: none), and its z there.
    const holder = new Map<number, { node: number; zero: number }>();
    // Iterative preorder: a frame is entered (laid out) once, then left after its subtree to restore its holder.
    const stack: { node: number; parent: number; isLeft: boolean; restore?: { f: number; prev?: { node: number; zero: number } } }[] = [{ node: root, parent: -1, isLeft: false }];
    // Packed node of each laid-out node.
    const packedOf: number[] = [];
    let next = 0;
    let maxFeatures = 0;
    while (stack.length) {
      const s = stack.pop()!;
      if (s.restore) {
        if (s.restore.prev) holder.set(s.restore.f, s.restore.prev);
        else holder.delete(s.restore.f);
        continue;
      }
      const k = next++;
      const g = base + k;
      const n = s.node;
      if (s.parent >= 0) {
        const p = base + s.parent;
        if (s.isLeft) this.left[p] = k;
        else this.right[p] = k;
        const f = this.feature[p];
        const prev = holder.get(f);
        const ratio = t.cover[n] / t.cover[packedOf[s.parent]];
        this.ratio[g] = ratio;
        this.zero[g] = (prev ? prev.zero : 1) * ratio;
        this.before[g] = prev ? prev.node : -1;
        // This node holds f's factor for its subtree; restored after it.
        stack.push({ node: n, parent: -1, isLeft: false, restore: { f, prev } });
        holder.set(f, { node: k, zero: this.zero[g] });
      }
      packedOf.push(n);
      if (t.feature[n] === LEAF) {
        this.feature[g] = LEAF;
        this.value[g] = t.value[n];
        maxFeatures = Math.max(maxFeatures, holder.size);
        continue;
      }
      this.feature[g] = t.feature[n];
      this.threshold[g] = t.threshold[n];
      this.nanLeft[g] = t.nanGoesLeft(n) ? 1 : 0;
      if (t.isCategorical(n)) this.catNode[g] = n;
      // Right pushed first: the left subtree is laid out first.
      stack.push({ node: t.left[n] + 1, parent: k, isLeft: false }, { node: t.left[n], parent: k, isLeft: true });
    }
    return { nodes: next, maxFeatures };
  }

  /** Adds row x's (values at x0 ..) contributions to `phi` (one per model column). */
  explain(x: ArrayLike<number>, x0: number, phi: Float64Array): void {
    for (let ti = 0; ti < this.treeN.length; ti++) this.explainTree(ti, x, x0, phi, 0);
  }

  /**
   * Adds the contributions of rows [r0, r1) of the row-major matrix `x` (`cols` columns) to
   * `phi`, (r1 - r0) x cols, row-major; tree by tree over the rows, so a tree's arrays stay in cache.
   */
  explainRows(x: ArrayLike<number>, cols: number, r0: number, r1: number, phi: Float64Array): void {
    for (let ti = 0; ti < this.treeN.length; ti++) {
      for (let r = r0; r < r1; r++) this.explainTree(ti, x, r * cols, phi, (r - r0) * cols);
    }
  }

  /** One tree's contributions for one row: the down pass (path products), then the up pass (sums and contributions). */
  private explainTree(ti: number, x: ArrayLike<number>, x0: number, phi: Float64Array, p0: number): void {
    const { feature, threshold, nanLeft, catNode, left, right, value, zero, ratio, before, claimAt, claims, buf, hot, qT, qW, qWCold } = this;
    const base = this.treeNode[ti];
    const N = this.treeNode[ti + 1] - base;
    const n = this.treeN[ti];
    const q0 = this.treeQ[ti];
    if (feature[base] === LEAF) return;
    for (let m = 0; m < n; m++) buf[m] = 1;
    hot[0] = 1;
    // Down: each split sets its children's o and path products.
    for (let k = 0; k < N; k++) {
      const g = base + k;
      const f = feature[g];
      if (f === LEAF) continue;
      let goLeft: boolean;
      const cat = catNode[g];
      if (cat >= 0) goLeft = this.t.goesLeft(x, x0, cat);
      else {
        const v = x[x0 + f];
        goLeft = v <= threshold[g] || (v !== v && nanLeft[g] === 1);
      }
      const l = left[g];
      const r = right[g];
      const b = before[base + l];
      const ob = b < 0 ? 1 : hot[b];
      hot[l] = goLeft ? ob : 0;
      hot[r] = goLeft ? 0 : ob;
      for (let side = 0; side < 2; side++) {
        const c = side === 0 ? l : r;
        const gc = base + c;
        const scale = feature[gc] === LEAF ? value[gc] : 1;
        const pk = k * n;
        const pc = c * n;
        const z = zero[gc];
        if (b >= 0 && ob === 0) {
          // Cold above and here: the factor z (1 - t) only shrinks by the cover ratio.
          const s = scale * ratio[gc];
          for (let m = 0; m < n; m++) buf[pc + m] = buf[pk + m] * s;
        } else if (b < 0) {
          if (hot[c]) for (let m = 0; m < n; m++) buf[pc + m] = buf[pk + m] * scale * (z + (1 - z) * qT[q0 + m]);
          else for (let m = 0; m < n; m++) buf[pc + m] = buf[pk + m] * scale * z * (1 - qT[q0 + m]);
        } else {
          const zb = zero[base + b];
          if (hot[c]) for (let m = 0; m < n; m++) buf[pc + m] = (buf[pk + m] * scale * (z + (1 - z) * qT[q0 + m])) / (zb + (1 - zb) * qT[q0 + m]);
          else for (let m = 0; m < n; m++) buf[pc + m] = (buf[pk + m] * scale * z * (1 - qT[q0 + m])) / (zb + (1 - zb) * qT[q0 + m]);
        }
      }
    }
    // Up: children before parents; a split's S replaces its P once its children are counted.
    for (let k = N - 1; k >= 0; k--) {
      const g = base + k;
      const f = feature[g];
      if (f === LEAF) continue;
      const l = left[g];
      const r = right[g];
      for (let side = 0; side < 2; side++) {
        const c = side === 0 ? l : r;
        const gc = base + c;
        const z = zero[gc];
        const o = hot[c];
        if (o === 1 && z === 1) continue;
        const pc = c * n;
        const a0 = claimAt[gc];
        const a1 = claimAt[gc + 1];
        let sum = 0;
        if (o === 1) {
          for (let m = 0; m < n; m++) {
            let u = buf[pc + m];
            for (let a = a0; a < a1; a++) u -= buf[claims[a] * n + m];
            sum += (qW[q0 + m] * u) / (z + (1 - z) * qT[q0 + m]);
          }
          phi[p0 + f] += (1 - z) * sum;
        } else {
          // (0 - z) / (z (1 - t)) = -1 / (1 - t): in the weights.
          for (let m = 0; m < n; m++) {
            let u = buf[pc + m];
            for (let a = a0; a < a1; a++) u -= buf[claims[a] * n + m];
            sum += qWCold[q0 + m] * u;
          }
          phi[p0 + f] -= sum;
        }
      }
      const pk = k * n;
      const pl = l * n;
      const pr = r * n;
      for (let m = 0; m < n; m++) buf[pk + m] = buf[pl + m] + buf[pr + m];
    }
  }
}
