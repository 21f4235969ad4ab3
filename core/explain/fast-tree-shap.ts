import { cutTree, type LeafPath, type PathStep } from './leaf-paths.js';
import { PackedTrees, type PackOptions, type ShapTree } from './packed-trees.js';
import { fillBlock, fillTable, shapleyWeights } from './shapley-tables.js';

/**
 * A subtree becomes a block when its split count plus the distinct features split above it is at
 * most this: a table of 2^bits x width numbers, and a row costs its splits plus width additions.
 * Measured on phishing boosting (2 cores, loaded, same-process A/B): 100 trees of depth 6 are cut
 * mostly at depth 4 (blocks of 4 leaves) in 8.6 MB; 6 bits run 22 % slower, 10 and 12 no faster
 * in 42-46 MB. 100 leaf-wise trees of 63 leaves: 18 MB of blocks; 10 / 12 bits gain 6 / 19 % in
 * 89 / 145 MB of tables.
 */
const BLOCK_BITS = 8;
/** Block numbers per explainer at most (8 bytes each: 32 MB); later subtrees are walked to their leaves. */
const BLOCK_BUDGET = 1 << 22;
/** Leaves outside blocks with at most this many distinct path features get a table of G (2^d numbers, O(d) per row). */
const TABLE_MAX_FEATURES = 12;
/** G numbers per explainer at most (32 MB; the 63-leaf trees above use 26 MB); later leaves compute per row, O(d^2). */
const TABLE_BUDGET = 1 << 22;

export interface FastTreeShapOptions extends PackOptions {
  /** Largest block key in bits (default BLOCK_BITS; 0: every leaf of d > 0 outside blocks). */
  blockBits?: number;
  /** Leaves outside blocks with more distinct path features compute per row (default TABLE_MAX_FEATURES; 0 = never a table). */
  tableMaxFeatures?: number;
  /** Share of the table budgets (BLOCK_BUDGET, TABLE_BUDGET) this explainer may use, in (0, 1]: 1 / classes when one is built per class. Default 1. */
  memoryShare?: number;
}

/**
 * Path-dependent TreeSHAP, the same values as Algorithm 2 (`TreeShap`), computed per leaf.
 * The path-dependent expectation is a sum over leaves of v * prod_j (j known ? o_j : z_j) over the
 * distinct features j on the leaf's path, where z_j is the product of the cover fractions of j's
 * splits on the path and o_j is 1 when the row satisfies all of them. The Shapley values of that
 * product (d players) with H = {j : o_j = 1}, C the rest, Z_C = prod_{j in C} z_j and
 *   G(T) = sum_{S subset of T} |S|! (d - |S| - 1)! / d! * prod_{j in T \ S} z_j
 * are: v (1 - z_i) Z_C G(H \ {i}) for i in H, and -v Z_C G(H) for i in C.
 * They depend on the row only through H. A row walks each tree's upper splits once, each split
 * deciding for everything below it, carrying H as a bit mask (bit u: the u-th distinct feature
 * from the root). Lower subtrees are blocks (after "Fast TreeSHAP" v2, Yang 2021, which stores
 * each leaf's contributions per H): one table, keyed by the mask of the features above and the
 * row's direction at the block's own splits, holds the summed contributions of all its leaves,
 * so a row costs the block's splits and one addition per feature of it. Deep leaves outside
 * blocks read G from a table of 2^d (O(d)) or, deeper still, compute it from the polynomial
 * prod_{j in H}(z_j + s) per row, O(d^2).
 */
export class FastTreeShap {
  readonly expected: number;
  private readonly t: PackedTrees;
  // Per tree: its walked splits [treeSplit[t], ..) (parents first), blocks [treeBlock[t], ..), leaves outside blocks [treeLeaf[t], ..).
  private readonly treeSplit: Int32Array;
  private readonly treeBlock: Int32Array;
  private readonly treeLeaf: Int32Array;
  // Per test (walked splits, then the blocks' splits): column, threshold, NaN goes left, categorical node (or -1).
  private readonly testFeature: Int32Array;
  private readonly testThreshold: Float64Array;
  private readonly testNanLeft: Uint8Array;
  private readonly testNode: Int32Array;
  // Per walked split: the bit of its feature, its slot and its left child's slot (right: + 1), slots local to the tree.
  private readonly splitBit: Int32Array;
  private readonly splitSlot: Int32Array;
  private readonly splitLeft: Int32Array;
  // Per block: slot, features above, first test [blockTest[b], blockTest[b + 1]), first feature and width, table offset.
  private readonly blockSlot: Int32Array;
  private readonly blockP: Int32Array;
  private readonly blockTest: Int32Array;
  private readonly blockF: Int32Array;
  private readonly blockWidth: Int32Array;
  private readonly blockTable: Int32Array;
  private readonly blockFeature: Int32Array;
  private readonly blocks: Float64Array;
  // Per leaf outside blocks: slot, value, distinct features, first distinct feature, G table offset (-1: none), path steps (no table).
  private readonly leafSlot: Int32Array;
  private readonly leafValue: Float64Array;
  private readonly leafD: Int32Array;
  private readonly leafU: Int32Array;
  private readonly leafTable: Int32Array;
  private readonly leafStep: Int32Array;
  private readonly leafSteps: Int32Array;
  private readonly stepNode: Int32Array;
  private readonly stepLeft: Uint8Array;
  private readonly stepU: Int32Array;
  // Per distinct feature of a leaf: the column, z.
  private readonly uFeature: Int32Array;
  private readonly uZero: Float64Array;
  /** G(mask) at offset + mask. */
  private readonly tables: Float64Array;
  /** w(k) = k! (d - k - 1)! / d! at weights[d * (d + 1) / 2 + k] for d up to the deepest path. */
  private readonly weights: Float64Array;
  // Row scratch: per slot of a tree, the mask reaching it; the path of a leaf without table.
  private readonly masks: Int32Array;
  private readonly hot: Uint8Array;
  private readonly poly: Float64Array;

  constructor(trees: ShapTree[], o: FastTreeShapOptions = {}) {
    const blockBits = Math.min(o.blockBits ?? BLOCK_BITS, BLOCK_BITS);
    const tableMax = Math.min(o.tableMaxFeatures ?? TABLE_MAX_FEATURES, TABLE_MAX_FEATURES);
    const t = (this.t = new PackedTrees(trees, o));
    const T = t.roots.length;
    const share = Math.min(1, Math.max(0, o.memoryShare ?? 1));
    const budget = { numbers: Math.floor(BLOCK_BUDGET * share) };
    const tableBudget = Math.floor(TABLE_BUDGET * share);
    const cuts = Array.from(t.roots, (root) => cutTree(t, root, blockBits, budget));
    const rootOf = (ti: number) => t.roots[ti];
    this.expected = cuts.reduce((s, c) => s + c.expected, 0);
    this.treeSplit = offsets(cuts.map((c) => c.splits.length));
    this.treeBlock = offsets(cuts.map((c) => c.blocks.length));
    this.treeLeaf = offsets(cuts.map((c) => c.leaves.length));
    const blocks = cuts.flatMap((c, ti) => c.blocks.map((b) => ({ ...b, tree: ti })));
    const leaves = cuts.flatMap((c, ti) => c.leaves.map((l) => ({ ...l, tree: ti })));

    // Tests: walked splits, then each block's splits in its preorder.
    const tests = cuts.flatMap((c) => c.splits);
    this.blockTest = new Int32Array(blocks.length + 1);
    blocks.forEach((b, i) => {
      this.blockTest[i] = tests.length;
      for (const n of b.splits) tests.push(n);
    });
    this.blockTest[blocks.length] = tests.length;
    this.testFeature = Int32Array.from(tests, (n) => t.feature[n]);
    this.testThreshold = Float64Array.from(tests, (n) => t.threshold[n]);
    this.testNanLeft = Uint8Array.from(tests, (n) => (t.nanGoesLeft(n) ? 1 : 0));
    this.testNode = Int32Array.from(tests, (n) => (t.isCategorical(n) ? n : -1));

    const splitTree = cuts.flatMap((c, ti) => c.splits.map(() => ti));
    this.splitBit = Int32Array.from(cuts.flatMap((c) => c.splitBits));
    this.splitSlot = Int32Array.from(splitTree, (ti, k) => tests[k] - rootOf(ti));
    this.splitLeft = Int32Array.from(splitTree, (ti, k) => t.left[tests[k]] - rootOf(ti));

    this.blockSlot = Int32Array.from(blocks, (b) => b.node - rootOf(b.tree));
    this.blockP = Int32Array.from(blocks, (b) => b.p);
    this.blockWidth = Int32Array.from(blocks, (b) => b.features.length);
    this.blockF = offsets(blocks.map((b) => b.features.length));
    this.blockFeature = Int32Array.from(blocks.flatMap((b) => b.features));
    this.blockTable = offsets(blocks.map((b) => b.features.length * 2 ** (b.p + b.splits.length)));
    this.blocks = new Float64Array(this.blockTable[blocks.length]);

    const L = leaves.length;
    this.leafSlot = Int32Array.from(leaves, (l) => l.node - rootOf(l.tree));
    this.leafValue = Float64Array.from(leaves, (l) => l.value);
    this.leafD = Int32Array.from(leaves, (l) => l.features.length);
    this.leafU = offsets(leaves.map((l) => l.features.length));
    this.uFeature = Int32Array.from(leaves.flatMap((l) => l.features));
    this.uZero = Float64Array.from(leaves.flatMap((l) => l.zeros));
    this.leafTable = new Int32Array(L).fill(-1);
    this.leafStep = new Int32Array(L);
    this.leafSteps = new Int32Array(L);
    const steps: PathStep[] = [];
    let tableSize = 0;
    let maxD = 0;
    // Tables go to the leaves with the fewest features first: per number of the budget, they save the most per row (O(d^2) -> O(d) for 2^d numbers).
    const byD = Array.from(leaves.keys()).sort((a, b) => leaves[a].features.length - leaves[b].features.length);
    for (const l of byD) {
      const d = leaves[l].features.length;
      if (d > tableMax || tableSize + (1 << d) > tableBudget) break;
      this.leafTable[l] = tableSize;
      tableSize += 1 << d;
    }
    leaves.forEach((leaf: LeafPath, l) => {
      const d = leaf.features.length;
      maxD = Math.max(maxD, d);
      if (this.leafTable[l] < 0 && d > 31) {
        // Past 31 distinct features the walk's mask cannot hold H: the leaf re-decides its path.
        this.leafStep[l] = steps.length;
        this.leafSteps[l] = leaf.steps.length;
        for (const s of leaf.steps) steps.push(s);
      }
    });
    this.stepNode = Int32Array.from(steps, (s) => s.node);
    this.stepLeft = Uint8Array.from(steps, (s) => (s.left ? 1 : 0));
    this.stepU = Int32Array.from(steps, (s) => s.u);

    for (const b of blocks) for (const leaf of b.leaves) maxD = Math.max(maxD, leaf.features.length);
    this.weights = shapleyWeights(maxD);
    const scratchD = Math.max(blockBits, Math.min(tableMax, maxD));
    const e = new Float64Array(2 ** scratchD * (scratchD + 1));
    this.tables = new Float64Array(tableSize);
    for (let l = 0; l < L; l++) if (this.leafTable[l] >= 0) fillTable(this.tables, this.leafTable[l], this.uZero, this.leafU[l], this.leafD[l], this.weights, e);
    blocks.forEach((b, i) => fillBlock(this.blocks, this.blockTable[i], b, this.weights, e));

    let maxNodes = 1;
    for (let ti = 0; ti < T; ti++) maxNodes = Math.max(maxNodes, (ti + 1 < T ? t.roots[ti + 1] : t.feature.length) - t.roots[ti]);
    this.masks = new Int32Array(maxNodes);
    this.hot = new Uint8Array(maxD);
    this.poly = new Float64Array(maxD + 2);
  }

  /** Adds row x's (values at x0 ..) contributions to `phi` (one per model column). */
  explain(x: ArrayLike<number>, x0: number, phi: Float64Array): void {
    for (let ti = 0; ti + 1 < this.treeSplit.length; ti++) this.explainTree(ti, x, x0, phi, 0);
  }

  /**
   * Adds the contributions of rows [r0, r1) of the row-major matrix `x` (`cols` columns) to
   * `phi`, (r1 - r0) x cols, row-major. Tree by tree over the rows, so each tree's tables are
   * read from cache for all but the first row (callers pass blocks of ROW_BLOCK rows).
   */
  explainRows(x: ArrayLike<number>, cols: number, r0: number, r1: number, phi: Float64Array): void {
    for (let ti = 0; ti + 1 < this.treeSplit.length; ti++) {
      for (let r = r0; r < r1; r++) this.explainTree(ti, x, r * cols, phi, (r - r0) * cols);
    }
  }

  /** Whether the row goes left at test k. */
  private goesLeft(k: number, x: ArrayLike<number>, x0: number): boolean {
    const node = this.testNode[k];
    if (node >= 0) return this.t.goesLeft(x, x0, node);
    const v = x[x0 + this.testFeature[k]];
    return v <= this.testThreshold[k] || (v !== v && this.testNanLeft[k] === 1);
  }

  /** One tree's contributions for one row: the walk giving each block and leaf its mask, then the blocks and leaves. */
  private explainTree(ti: number, x: ArrayLike<number>, x0: number, phi: Float64Array, p0: number): void {
    const { masks, splitBit, splitSlot, splitLeft } = this;
    masks[0] = -1;
    for (let k = this.treeSplit[ti], end = this.treeSplit[ti + 1]; k < end; k++) {
      const m = masks[splitSlot[k]];
      const c = splitLeft[k];
      const cold = m & ~splitBit[k];
      if (this.goesLeft(k, x, x0)) {
        masks[c] = m;
        masks[c + 1] = cold;
      } else {
        masks[c] = cold;
        masks[c + 1] = m;
      }
    }
    const { blockSlot, blockP, blockTest, blockF, blockWidth, blockTable, blockFeature, blocks } = this;
    for (let b = this.treeBlock[ti], end = this.treeBlock[ti + 1]; b < end; b++) {
      const p = blockP[b];
      let key = masks[blockSlot[b]] & ((1 << p) - 1);
      for (let k = blockTest[b], j = p, kEnd = blockTest[b + 1]; k < kEnd; k++, j++) if (this.goesLeft(k, x, x0)) key |= 1 << j;
      const w = blockWidth[b];
      const at = blockTable[b] + key * w;
      const f0 = blockF[b];
      for (let i = 0; i < w; i++) phi[p0 + blockFeature[f0 + i]] += blocks[at + i];
    }
    for (let l = this.treeLeaf[ti], end = this.treeLeaf[ti + 1]; l < end; l++) {
      if (this.leafTable[l] >= 0) this.tableLeaf(l, masks[this.leafSlot[l]] & ((1 << this.leafD[l]) - 1), phi, p0);
      else this.polyLeaf(l, masks[this.leafSlot[l]], x, x0, phi, p0);
    }
  }

  /** A leaf with a table of G: its contributions for satisfied set `mask`, O(d). */
  private tableLeaf(l: number, mask: number, phi: Float64Array, p0: number): void {
    const { uZero, uFeature, tables } = this;
    const d = this.leafD[l];
    const u0 = this.leafU[l];
    const table = this.leafTable[l];
    let vz = this.leafValue[l];
    for (let u = 0; u < d; u++) if (!((mask >> u) & 1)) vz *= uZero[u0 + u];
    const cold = vz * tables[table + mask];
    for (let u = 0; u < d; u++) {
      const bit = 1 << u;
      if (mask & bit) phi[p0 + uFeature[u0 + u]] += vz * (1 - uZero[u0 + u]) * tables[table + (mask ^ bit)];
      else phi[p0 + uFeature[u0 + u]] -= cold;
    }
  }

  /**
   * A leaf without a table: G(H) and G(H \ {i}) from prod_{j in H}(z_j + s) and its quotients.
   * H is the walk's `mask` up to 31 distinct features, else re-decided along the leaf's path.
   */
  private polyLeaf(l: number, mask: number, x: ArrayLike<number>, x0: number, phi: Float64Array, p0: number): void {
    const { hot, poly, uZero, uFeature, t } = this;
    const d = this.leafD[l];
    const u0 = this.leafU[l];
    if (d <= 31) for (let u = 0; u < d; u++) hot[u] = (mask >>> u) & 1;
    else {
      hot.fill(1, 0, d);
      for (let s = this.leafStep[l], end = s + this.leafSteps[l]; s < end; s++) if (t.goesLeft(x, x0, this.stepNode[s]) !== (this.stepLeft[s] === 1)) hot[this.stepU[s]] = 0;
    }
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
        phi[p0 + uFeature[u0 + u]] -= vz * gH;
        continue;
      }
      const z = uZero[u0 + u];
      // Divide by (z + s), from the top (stable for z <= 1), summing G as the quotient's coefficients come.
      let q = poly[n];
      let g = w[wd + n - 1] * q;
      for (let m = n - 1; m > 0; m--) {
        q = poly[m] - z * q;
        g += w[wd + m - 1] * q;
      }
      phi[p0 + uFeature[u0 + u]] += vz * (1 - z) * g;
    }
  }
}

/** Start offsets of consecutive runs of these lengths, with the total last. */
function offsets(lengths: number[]): Int32Array {
  const o = new Int32Array(lengths.length + 1);
  for (let i = 0; i < lengths.length; i++) o[i + 1] = o[i] + lengths[i];
  return o;
}
