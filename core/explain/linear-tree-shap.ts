import { gaussLegendre } from './gauss-legendre.js';
import { LEAF, PackedTrees, type PackOptions, type ShapTree } from './packed-trees.js';
import { LINEAR_CHUNK, WasmLinearWalk } from './wasm-linear-walk.js';

export interface LinearTreeShapOptions extends PackOptions {
  /** Both passes in WebAssembly where it can be built (default true; false: JavaScript). */
  wasm?: boolean;
}

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
 *   S(leaf) = v P(leaf) (a split of two leaves makes theirs in the up pass from its own P);
 * - up (children first): S(node) = S(left) + S(right); at a split on i, the leaves under child c
 *   whose last split on i it is give i (o_i^c - z_i^c) sum_m w_m U(c)_m / f_i^c(t_m), where U(c)
 *   is S(c) less the S of the topmost splits on i inside c (their leaves carry their own i factor).
 * Both passes run in WebAssembly where it builds (linear-walk-wat.ts: f64x2 over the n nodes, padded
 * to even), the same terms summed two lanes at a time (values within ~1e-15 of the JavaScript passes).
 */
export class LinearTreeShap {
  readonly expected: number;
  private readonly t: PackedTrees;
  /** Per tree: its nodes [treeNode[t], treeNode[t + 1]) in preorder, quadrature points n, first entry in qWCold, first number of its node vectors. */
  private readonly treeNode: Int32Array;
  private readonly treeN: Int32Array;
  private readonly treeQ: Int32Array;
  private readonly treeV: Int32Array;
  /** Per tree at treeQ[t] ..: w_m / (1 - t_m), a cold child's weights: (0 - z) / (z (1 - t)) = -1 / (1 - t). */
  private readonly qWCold: Float64Array;
  // Per node (preorder within its tree; children and `before` as local indices): column (LEAF for leaves), threshold,
  // NaN goes left, categorical packed node (or -1), left and right child.
  private readonly feature: Int32Array;
  private readonly threshold: Float64Array;
  private readonly nanLeft: Uint8Array;
  private readonly catNode: Int32Array;
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  /** Per node below the root: the node whose factor for its parent's feature it replaces (the child of the nearest split above on it), or -1. */
  private readonly before: Int32Array;
  /** Per node: its claims [claimAt[k], claimAt[k + 1]) in `claims`, the topmost splits on its parent's feature inside it. */
  private readonly claimAt: Int32Array;
  private readonly claims: Int32Array;
  /**
   * Per node below the root, n numbers at treeV[t] + k n (a leaf's times its value): P's factor
   * from the parent when the row goes there (hot: f(z, 1) / f_before) or not (cold: f(z, 0) / f_before),
   * and the up weights of a hot child, (1 - z) w_m / f(z, 1)(t_m). Precomputed: a row divides nothing.
   */
  private readonly downHot: Float64Array;
  private readonly downCold: Float64Array;
  private readonly upHot: Float64Array;
  /**
   * Per split whose children are both leaves (a third of a tree's splits), else -1: where its 3 x 2n
   * numbers start in `cherries`; per case (left hot, right hot, both colder) the leaves' summed
   * factors A (S = P A) and signed up weights B (their contribution: sum B P), so neither leaf is stored.
   */
  private readonly cherryAt: Int32Array;
  private readonly cherries: Float64Array;
  /** Per node: P's factor when the feature was already cold above (cover ratio, times a leaf's value). */
  private readonly downColder: Float64Array;
  // Row scratch per node of a tree: P then S (n numbers each); o.
  private readonly buf: Float64Array;
  private readonly hot: Uint8Array;
  /** The same passes in WebAssembly (f64x2 over the nodes), or null: JavaScript. */
  private readonly wasm: WasmLinearWalk | null;

  constructor(trees: ShapTree[], o: LinearTreeShapOptions = {}) {
    const t = (this.t = new PackedTrees(trees, o));
    const T = t.roots.length;
    const total = t.feature.length;
    this.treeNode = new Int32Array(T + 1);
    this.treeN = new Int32Array(T);
    this.treeQ = new Int32Array(T + 1);
    this.treeV = new Int32Array(T + 1);
    this.feature = new Int32Array(total);
    this.threshold = new Float64Array(total);
    this.nanLeft = new Uint8Array(total);
    this.catNode = new Int32Array(total).fill(-1);
    this.left = new Int32Array(total).fill(-1);
    this.right = new Int32Array(total).fill(-1);
    this.before = new Int32Array(total).fill(-1);
    this.claimAt = new Int32Array(total + 1);
    this.downColder = new Float64Array(total);
    const claims: number[] = [];
    const wCold: number[] = [];
    // Per laid-out node: z of its parent's feature at it, its leaf value (1 for splits), the share of the root's cover reaching it.
    const zero = new Float64Array(total).fill(1);
    const scale = new Float64Array(total).fill(1);
    const reach = new Float64Array(total).fill(1);
    const quads = new Map<number, { nodes: Float64Array; weights: Float64Array }>();
    const laid: { base: number; N: number; n: number }[] = [];
    let expected = 0;
    let maxNodes = 1;
    let maxN = 1;
    for (let ti = 0; ti < T; ti++) {
      const base = this.treeNode[ti];
      const tree = this.packTree(t, t.roots[ti], base, zero, scale, reach);
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
      if (!quads.has(n)) quads.set(n, gaussLegendre(n));
      const q = quads.get(n)!;
      this.treeN[ti] = n;
      this.treeQ[ti + 1] = this.treeQ[ti] + n;
      this.treeV[ti + 1] = this.treeV[ti] + N * n;
      for (let m = 0; m < n; m++) wCold.push(q.weights[m] / (1 - q.nodes[m]));
      laid.push({ base, N, n });
      expected += tree.expected;
      maxNodes = Math.max(maxNodes, N);
      maxN = Math.max(maxN, n);
    }
    this.claimAt[total] = claims.length;
    this.claims = Int32Array.from(claims);
    this.qWCold = Float64Array.from(wCold);
    const V = this.treeV[T];
    this.downHot = new Float64Array(V);
    this.downCold = new Float64Array(V);
    this.upHot = new Float64Array(V);
    laid.forEach(({ base, N, n }, ti) => {
      const { nodes, weights } = quads.get(n)!;
      for (let k = 1; k < N; k++) {
        const g = base + k;
        const z = zero[g];
        const b = this.before[g];
        const zb = b < 0 ? 1 : zero[base + b];
        const at = this.treeV[ti] + k * n;
        for (let m = 0; m < n; m++) {
          const tm = nodes[m];
          // f_before with o = 1 (when it is cold above, downColder applies): 1 when the feature is new.
          const fb = b < 0 ? 1 : zb + (1 - zb) * tm;
          const hot = z + (1 - z) * tm;
          this.downHot[at + m] = (scale[g] * hot) / fb;
          this.downCold[at + m] = (scale[g] * z * (1 - tm)) / fb;
          this.upHot[at + m] = ((1 - z) * weights[m]) / hot;
        }
      }
    });
    this.cherryAt = new Int32Array(total).fill(-1);
    let cherryNumbers = 0;
    laid.forEach(({ base, N, n }) => {
      for (let g = base; g < base + N; g++) {
        if (this.feature[g] === LEAF || this.feature[base + this.left[g]] !== LEAF || this.feature[base + this.right[g]] !== LEAF) continue;
        this.cherryAt[g] = cherryNumbers;
        cherryNumbers += 6 * n;
      }
    });
    this.cherries = new Float64Array(cherryNumbers);
    laid.forEach(({ base, N, n }, ti) => {
      const w = this.qWCold.subarray(this.treeQ[ti], this.treeQ[ti] + n);
      for (let g = base; g < base + N; g++) {
        const at = this.cherryAt[g];
        if (at < 0) continue;
        const l = this.treeV[ti] + this.left[g] * n;
        const r = this.treeV[ti] + this.right[g] * n;
        const colderL = this.downColder[base + this.left[g]];
        const colderR = this.downColder[base + this.right[g]];
        const { downHot: dh, downCold: dc, upHot: uh, cherries: c } = this;
        for (let m = 0; m < n; m++) {
          c[at + m] = dh[l + m] + dc[r + m];
          c[at + n + m] = uh[l + m] * dh[l + m] - w[m] * dc[r + m];
          c[at + 2 * n + m] = dc[l + m] + dh[r + m];
          c[at + 3 * n + m] = uh[r + m] * dh[r + m] - w[m] * dc[l + m];
          c[at + 4 * n + m] = colderL + colderR;
          c[at + 5 * n + m] = -w[m] * (colderL + colderR);
        }
      }
    });
    this.expected = expected;
    this.buf = new Float64Array(maxNodes * maxN);
    this.hot = new Uint8Array(maxNodes);
    this.wasm =
      o.wasm === false
        ? null
        : WasmLinearWalk.create({
            treeNode: this.treeNode, treeN: this.treeN, treeQ: this.treeQ, treeV: this.treeV, qWCold: this.qWCold,
            feature: this.feature, threshold: this.threshold, nanLeft: this.nanLeft, rankLeft: this.rankLeft(trees),
            left: this.left, right: this.right, before: this.before, claimAt: this.claimAt, claims: this.claims,
            downHot: this.downHot, downCold: this.downCold, upHot: this.upHot, cherryAt: this.cherryAt, cherries: this.cherries,
            downColder: this.downColder, columns: this.columns(),
          });
  }

  /** Per node: whether a row goes left at each code rank of a categorical split (PackedTrees.goesLeft on one value per rank), else null. */
  private rankLeft(trees: ShapTree[]): (Uint8Array | null)[] {
    const { t, catNode } = this;
    return Array.from(catNode, (n) => {
      if (n < 0) return null;
      let ti = 0;
      while (ti + 1 < t.roots.length && t.roots[ti + 1] <= n) ti++;
      const codes = trees[ti].categories![n - t.roots[ti]]!.n;
      // Ranks: 0 unknown (NaN), 1 missing (-1), 2 + code, codes + 2 unknown (a code past the last).
      return Uint8Array.from({ length: codes + 3 }, (_, rank) => (t.goesLeft([rank === 0 ? NaN : rank - 2], -t.feature[n], n) ? 1 : 0));
    });
  }

  /** Model columns any split reads (at least 1). */
  private columns(): number {
    return this.feature.reduce((m, f) => Math.max(m, f + 1), 1);
  }

  /**
   * Lays out the tree at packed node `root` in preorder from `base`: children, the node each child's
   * factor replaces, cover ratios (in `downColder`), and per node z, leaf value and share of the
   * root's cover (in `zero`, `scale`, `reach`). Returns its node count, most distinct features on a
   * path and output with no feature known (leaves' v times reach; iterative, unlike `meanAt`).
   */
  private packTree(t: PackedTrees, root: number, base: number, zero: Float64Array, scale: Float64Array, reach: Float64Array): { nodes: number; maxFeatures: number; expected: number } {
    // Per feature on the current path: the local node holding its factor (-1: none), and its z there.
    const holder = new Map<number, { node: number; zero: number }>();
    // Iterative preorder: a frame is entered (laid out) once, then left after its subtree to restore its holder.
    const stack: { node: number; parent: number; isLeft: boolean; restore?: { f: number; prev?: { node: number; zero: number } } }[] = [{ node: root, parent: -1, isLeft: false }];
    // Packed node of each laid-out node.
    const packedOf: number[] = [];
    let next = 0;
    let maxFeatures = 0;
    let expected = 0;
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
      const leaf = t.feature[n] === LEAF;
      if (leaf) scale[g] = t.value[n];
      if (s.parent >= 0) {
        const p = base + s.parent;
        if (s.isLeft) this.left[p] = k;
        else this.right[p] = k;
        const f = this.feature[p];
        const prev = holder.get(f);
        const ratio = t.cover[n] / t.cover[packedOf[s.parent]];
        this.downColder[g] = ratio * scale[g];
        zero[g] = (prev ? prev.zero : 1) * ratio;
        reach[g] = reach[p] * ratio;
        this.before[g] = prev ? prev.node : -1;
        // This node holds f's factor for its subtree; restored after it.
        stack.push({ node: n, parent: -1, isLeft: false, restore: { f, prev } });
        holder.set(f, { node: k, zero: zero[g] });
      }
      packedOf.push(n);
      if (leaf) {
        this.feature[g] = LEAF;
        maxFeatures = Math.max(maxFeatures, holder.size);
        expected += t.value[n] * reach[g];
        continue;
      }
      this.feature[g] = t.feature[n];
      this.threshold[g] = t.threshold[n];
      this.nanLeft[g] = t.nanGoesLeft(n) ? 1 : 0;
      if (t.isCategorical(n)) this.catNode[g] = n;
      // Right pushed first: the left subtree is laid out first.
      stack.push({ node: t.left[n] + 1, parent: k, isLeft: false }, { node: t.left[n], parent: k, isLeft: true });
    }
    return { nodes: next, maxFeatures, expected };
  }

  /** Adds row x's (values at x0 ..) contributions to `phi` (one per model column). */
  explain(x: ArrayLike<number>, x0: number, phi: Float64Array): void {
    if (this.wasm) return this.runWasm(x, x0, 0, 1, phi, 0);
    for (let ti = 0; ti < this.treeN.length; ti++) this.explainTree(ti, x, x0, phi, 0);
  }

  /**
   * Adds the contributions of rows [r0, r1) of the row-major matrix `x` (`cols` columns) to
   * `phi`, (r1 - r0) x cols, row-major; tree by tree over the rows, so a tree's arrays stay in cache.
   */
  explainRows(x: ArrayLike<number>, cols: number, r0: number, r1: number, phi: Float64Array): void {
    if (this.wasm) {
      for (let r = r0; r < r1; r += LINEAR_CHUNK) this.runWasm(x, r * cols, cols, Math.min(LINEAR_CHUNK, r1 - r), phi, (r - r0) * cols);
      return;
    }
    for (let ti = 0; ti < this.treeN.length; ti++) {
      for (let r = r0; r < r1; r++) this.explainTree(ti, x, r * cols, phi, (r - r0) * cols);
    }
  }

  /** Adds the contributions of `rows` rows (row r's values at x0 + r cols) to phi at p0 + r cols, in WebAssembly; rows <= LINEAR_CHUNK. */
  private runWasm(x: ArrayLike<number>, x0: number, cols: number, rows: number, phi: Float64Array, p0: number): void {
    const w = this.wasm!;
    const C = w.columns;
    for (let r = 0; r < rows; r++) for (let j = 0; j < C; j++) w.x[r * C + j] = x[x0 + r * cols + j];
    w.phi.fill(0, 0, rows * C);
    w.run(0, this.treeN.length, rows);
    for (let r = 0; r < rows; r++) for (let j = 0; j < C; j++) phi[p0 + r * cols + j] += w.phi[r * C + j];
  }

  /** One tree's contributions for one row: the down pass (path products), then the up pass (sums and contributions). */
  private explainTree(ti: number, x: ArrayLike<number>, x0: number, phi: Float64Array, p0: number): void {
    const { feature, threshold, nanLeft, catNode, left, right, before, claimAt, claims, downHot, downCold, downColder, upHot, qWCold, cherryAt, cherries, buf, hot } = this;
    const base = this.treeNode[ti];
    const N = this.treeNode[ti + 1] - base;
    if (N === 1) return;
    const n = this.treeN[ti];
    const q0 = this.treeQ[ti];
    const v0 = this.treeV[ti];
    for (let m = 0; m < n; m++) buf[m] = 1;
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
      const pk = k * n;
      const pl = l * n;
      const pr = r * n;
      if (cherryAt[g] >= 0) {
        // Two leaves: their S is made from P here in the up pass.
        const colder = b >= 0 && hot[b] === 0;
        hot[l] = goLeft && !colder ? 1 : 0;
        hot[r] = goLeft || colder ? 0 : 1;
        continue;
      }
      if (b >= 0 && hot[b] === 0) {
        // Cold above already: both factors z (1 - t) only shrink by their cover ratios.
        hot[l] = 0;
        hot[r] = 0;
        const sl = downColder[base + l];
        const sr = downColder[base + r];
        for (let m = 0; m < n; m++) {
          const p = buf[pk + m];
          buf[pl + m] = p * sl;
          buf[pr + m] = p * sr;
        }
        continue;
      }
      hot[l] = goLeft ? 1 : 0;
      hot[r] = goLeft ? 0 : 1;
      const dl = v0 + pl;
      const dr = v0 + pr;
      const fl = goLeft ? downHot : downCold;
      const fr = goLeft ? downCold : downHot;
      // Four at a time: n is small (4-9 on boosted trees of 63 leaves), loop overhead is a tenth of the time.
      let m = 0;
      for (; m + 3 < n; m += 4) {
        const a0 = buf[pk + m];
        const a1 = buf[pk + m + 1];
        const a2 = buf[pk + m + 2];
        const a3 = buf[pk + m + 3];
        buf[pl + m] = a0 * fl[dl + m];
        buf[pl + m + 1] = a1 * fl[dl + m + 1];
        buf[pl + m + 2] = a2 * fl[dl + m + 2];
        buf[pl + m + 3] = a3 * fl[dl + m + 3];
        buf[pr + m] = a0 * fr[dr + m];
        buf[pr + m + 1] = a1 * fr[dr + m + 1];
        buf[pr + m + 2] = a2 * fr[dr + m + 2];
        buf[pr + m + 3] = a3 * fr[dr + m + 3];
      }
      for (; m < n; m++) {
        const p = buf[pk + m];
        buf[pl + m] = p * fl[dl + m];
        buf[pr + m] = p * fr[dr + m];
      }
    }
    // Up: children before parents; a split's S replaces its P once its children are counted.
    for (let k = N - 1; k >= 0; k--) {
      const g = base + k;
      const f = feature[g];
      if (f === LEAF) continue;
      const l = left[g];
      const r = right[g];
      const pk = k * n;
      const ch = cherryAt[g];
      if (ch >= 0) {
        const at = ch + (hot[l] ? 0 : hot[r] ? 2 * n : 4 * n);
        let sum = 0;
        let m = 0;
        for (; m + 1 < n; m += 2) {
          const p = buf[pk + m];
          const q = buf[pk + m + 1];
          buf[pk + m] = p * cherries[at + m];
          buf[pk + m + 1] = q * cherries[at + m + 1];
          sum += cherries[at + n + m] * p + cherries[at + n + m + 1] * q;
        }
        if (m < n) {
          const p = buf[pk + m];
          buf[pk + m] = p * cherries[at + m];
          sum += cherries[at + n + m] * p;
        }
        phi[p0 + f] += sum;
        continue;
      }
      const pl = l * n;
      const pr = r * n;
      // A hot child: (1 - z) sum w U / f(z, 1); a cold one: -sum w U / (1 - t).
      const wl = hot[l] ? upHot : qWCold;
      const wr = hot[r] ? upHot : qWCold;
      const al = hot[l] ? v0 + pl : q0;
      const ar = hot[r] ? v0 + pr : q0;
      let sumL = 0;
      let sumR = 0;
      let m = 0;
      for (; m + 3 < n; m += 4) {
        const l0 = buf[pl + m];
        const l1 = buf[pl + m + 1];
        const l2 = buf[pl + m + 2];
        const l3 = buf[pl + m + 3];
        const r0 = buf[pr + m];
        const r1 = buf[pr + m + 1];
        const r2 = buf[pr + m + 2];
        const r3 = buf[pr + m + 3];
        buf[pk + m] = l0 + r0;
        buf[pk + m + 1] = l1 + r1;
        buf[pk + m + 2] = l2 + r2;
        buf[pk + m + 3] = l3 + r3;
        sumL += wl[al + m] * l0 + wl[al + m + 1] * l1 + wl[al + m + 2] * l2 + wl[al + m + 3] * l3;
        sumR += wr[ar + m] * r0 + wr[ar + m + 1] * r1 + wr[ar + m + 2] * r2 + wr[ar + m + 3] * r3;
      }
      for (; m < n; m++) {
        const sl = buf[pl + m];
        const sr = buf[pr + m];
        buf[pk + m] = sl + sr;
        sumL += wl[al + m] * sl;
        sumR += wr[ar + m] * sr;
      }
      // Leaves whose last split on f lies deeper were counted there.
      for (let a = claimAt[base + l], end = claimAt[base + l + 1]; a < end; a++) {
        const pc = claims[a] * n;
        for (let m = 0; m < n; m++) sumL -= wl[al + m] * buf[pc + m];
      }
      for (let a = claimAt[base + r], end = claimAt[base + r + 1]; a < end; a++) {
        const pc = claims[a] * n;
        for (let m = 0; m < n; m++) sumR -= wr[ar + m] * buf[pc + m];
      }
      phi[p0 + f] += (hot[l] ? sumL : -sumL) + (hot[r] ? sumR : -sumR);
    }
  }
}
