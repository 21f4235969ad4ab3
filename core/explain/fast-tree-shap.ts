import { cutTree, type Block, type LeafPath, type PathStep } from './leaf-paths.js';
import { CHUNK } from './block-walk-wat.js';
import { PackedTrees, type PackOptions, type ShapTree } from './packed-trees.js';
import { fillBlock, fillTable, shapleyWeights } from './shapley-tables.js';
import { WasmBlockWalk } from './wasm-block-walk.js';

/**
 * A subtree becomes a block when its split count plus the distinct features split above it is at
 * most this: a table of 2^bits x width numbers, and a row costs its splits plus width additions.
 * Measured on phishing boosting (2 cores, loaded, same-process A/B): 100 trees of depth 6 are cut
 * mostly at depth 4 (blocks of 4 leaves) in 8.6 MB; 6 bits run 22 % slower, 10 and 12 no faster
 * in 42-46 MB. 100 leaf-wise trees of 63 leaves: 18 MB of blocks; 10 / 12 bits gain 6 / 19 % in
 * 89 / 145 MB of tables. With the WebAssembly kernel, on the imported XGBoost model (100 trees of
 * depth 6, 3.7 MB of blocks at 8 bits): 6, 7, 10 and 12 bits run at 0.68, 0.86, 0.83 and 0.63 times
 * the rows/s of 8.
 */
const BLOCK_BITS = 8;
/** Block numbers per explainer at most (8 bytes each: 32 MB); later subtrees are walked to their leaves. */
const BLOCK_BUDGET = 1 << 22;
/** Leaves outside blocks with at most this many distinct path features get a table of G (2^d numbers, O(d) per row). */
const TABLE_MAX_FEATURES = 12;
/** G numbers per explainer at most (32 MB; the 63-leaf trees above use 26 MB); later leaves compute per row, O(d^2). */
const TABLE_BUDGET = 1 << 22;
/** Numbers per walked split in `walk`. */
const WALK = 4;

export interface FastTreeShapOptions extends PackOptions {
  /** Largest block key in bits (default BLOCK_BITS; 0: every leaf of d > 0 outside blocks). */
  blockBits?: number;
  /** Leaves outside blocks with more distinct path features compute per row (default TABLE_MAX_FEATURES; 0 = never a table). */
  tableMaxFeatures?: number;
  /** Share of the table budgets (BLOCK_BUDGET, TABLE_BUDGET) this explainer may use, in (0, 1]: 1 / classes when one is built per class. Default 1. */
  memoryShare?: number;
  /** Walk and blocks in WebAssembly where it can be built (default true; false: JavaScript). */
  wasm?: boolean;
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
 * Rows go in chunks of CHUNK: each distinct split test (a condition; trees share many) is decided
 * once per row, then per tree the walk and each block are one loop over the chunk's rows, in
 * WebAssembly where it builds (block-walk-wat.ts: masks and keys four rows per SIMD step), the
 * leaves outside blocks in JavaScript. Same additions in the same order: the same values, bit for
 * bit, as one row at a time.
 */
export class FastTreeShap {
  readonly expected: number;
  private readonly t: PackedTrees;
  // Conditions: the distinct split tests (column, threshold, NaN goes left; categorical: the node, else -1), decided once per row.
  private readonly condFeature: Int32Array;
  private readonly condThreshold: Float64Array;
  private readonly condNanLeft: Uint8Array;
  private readonly condNode: Int32Array;
  // Per tree: walked splits [treeWalk[t], ..) (parents first), records of WALK in `walk`: condition, slot, left child's slot (right: + 1), bit of its feature.
  private readonly treeWalk: Int32Array;
  private readonly walk: Int32Array;
  // Per tree: blocks in `prog` from treeProg[t] to treeProg[t + 1]: slot, features above (p), tests, width, table offset, the tests' conditions, the features.
  private readonly treeProg: Int32Array;
  private readonly prog: Int32Array;
  private readonly blocks: Float64Array;
  // Per tree: leaves outside blocks [treeLeaf[t], ..).
  private readonly treeLeaf: Int32Array;
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
  /** The walk and blocks in WebAssembly, or null (JavaScript). */
  private readonly wasm: WasmBlockWalk | null;
  /** Model columns the blocks add to. */
  private readonly columns: number;
  // Chunk scratch, row r at [i * CHUNK + r]: condition i's outcome (-1: left, 0: right), the mask reaching slot i; per row, its block's key.
  private readonly outcome: Int32Array;
  private readonly masks: Int32Array;
  private readonly keys: Int32Array;
  // Row scratch of a leaf without table.
  private readonly hot: Uint8Array;
  private readonly poly: Float64Array;

  constructor(trees: ShapTree[], o: FastTreeShapOptions = {}) {
    const blockBits = Math.min(o.blockBits ?? BLOCK_BITS, BLOCK_BITS);
    const tableMax = Math.min(o.tableMaxFeatures ?? TABLE_MAX_FEATURES, TABLE_MAX_FEATURES);
    const t = (this.t = new PackedTrees(trees, o));
    const share = Math.min(1, Math.max(0, o.memoryShare ?? 1));
    const budget = { numbers: Math.floor(BLOCK_BUDGET * share) };
    const tableBudget = Math.floor(TABLE_BUDGET * share);
    const cuts = Array.from(t.roots, (root) => cutTree(t, root, blockBits, budget));
    this.expected = cuts.reduce((s, c) => s + c.expected, 0);

    // Conditions: split nodes with the same test share one.
    const condOf = new Map<string, number>();
    const condNodes: number[] = [];
    const cond = (n: number) => {
      const key = t.isCategorical(n) ? `c${n}` : `${t.feature[n]} ${t.threshold[n]} ${t.nanGoesLeft(n) ? 1 : 0}`;
      let c = condOf.get(key);
      if (c === undefined) condOf.set(key, (c = condNodes.push(n) - 1));
      return c;
    };

    // Slots, per tree: the root 0, walked split i's children 1 + 2i and 2 + 2i.
    const slotOf = new Map<number, number>();
    const walk: number[] = [];
    const prog: number[] = [];
    const blocks: Block[] = [];
    const blockAt: number[] = [];
    const leaves: LeafPath[] = [];
    const leafSlots: number[] = [];
    this.treeWalk = new Int32Array(cuts.length + 1);
    this.treeProg = new Int32Array(cuts.length + 1);
    this.treeLeaf = new Int32Array(cuts.length + 1);
    let maxSlots = 1;
    cuts.forEach((c, ti) => {
      slotOf.clear();
      slotOf.set(t.roots[ti], 0);
      c.splits.forEach((n, i) => {
        slotOf.set(t.left[n], 1 + 2 * i);
        slotOf.set(t.left[n] + 1, 2 + 2 * i);
        walk.push(cond(n), slotOf.get(n)!, 1 + 2 * i, c.splitBits[i]);
      });
      maxSlots = Math.max(maxSlots, 1 + 2 * c.splits.length);
      for (const b of c.blocks) {
        blocks.push(b);
        blockAt.push(prog.length + 4);
        prog.push(slotOf.get(b.node)!, b.p, b.splits.length, b.features.length, 0);
        for (const n of b.splits) prog.push(cond(n));
        for (const f of b.features) prog.push(f);
      }
      for (const l of c.leaves) {
        leaves.push(l);
        leafSlots.push(slotOf.get(l.node)!);
      }
      this.treeWalk[ti + 1] = walk.length / WALK;
      this.treeProg[ti + 1] = prog.length;
      this.treeLeaf[ti + 1] = leaves.length;
    });
    this.condFeature = Int32Array.from(condNodes, (n) => t.feature[n]);
    this.condThreshold = Float64Array.from(condNodes, (n) => t.threshold[n]);
    this.condNanLeft = Uint8Array.from(condNodes, (n) => (t.nanGoesLeft(n) ? 1 : 0));
    this.condNode = Int32Array.from(condNodes, (n) => (t.isCategorical(n) ? n : -1));
    this.walk = Int32Array.from(walk);
    const blockTable = offsets(blocks.map((b) => b.features.length * 2 ** (b.p + b.splits.length)));
    blockAt.forEach((at, i) => (prog[at] = blockTable[i]));
    this.prog = Int32Array.from(prog);
    this.columns = 1 + blocks.reduce((m, b) => b.features.reduce((mf, f) => Math.max(mf, f), m), -1);
    const program = { conditions: condNodes.length, slots: maxSlots, walk: this.walk, treeWalk: this.treeWalk, prog: this.prog, treeProg: this.treeProg, tableNumbers: blockTable[blocks.length], columns: this.columns };
    this.wasm = o.wasm === false ? null : WasmBlockWalk.create(program);
    this.blocks = this.wasm?.blocks ?? new Float64Array(program.tableNumbers);
    this.outcome = this.wasm?.outcome ?? new Int32Array(condNodes.length * CHUNK);
    this.masks = this.wasm?.masks ?? new Int32Array(maxSlots * CHUNK);

    const L = leaves.length;
    this.leafSlot = Int32Array.from(leafSlots);
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
    blocks.forEach((b, i) => fillBlock(this.blocks, blockTable[i], b, this.weights, e));

    this.keys = new Int32Array(CHUNK);
    this.hot = new Uint8Array(maxD);
    this.poly = new Float64Array(maxD + 2);
  }

  /** Adds row x's (values at x0 ..) contributions to `phi` (one per model column). */
  explain(x: ArrayLike<number>, x0: number, phi: Float64Array): void {
    this.explainChunk(x, x0, 0, 1, phi, 0, 0);
  }

  /**
   * Adds the contributions of rows [r0, r1) of the row-major matrix `x` (`cols` columns) to
   * `phi`, (r1 - r0) x cols, row-major. Tree by tree over the rows, so each tree's tables are
   * read from cache for all but the first row (callers pass blocks of ROW_BLOCK rows).
   */
  explainRows(x: ArrayLike<number>, cols: number, r0: number, r1: number, phi: Float64Array): void {
    for (let r = r0; r < r1; r += CHUNK) this.explainChunk(x, r * cols, cols, Math.min(CHUNK, r1 - r), phi, (r - r0) * cols, cols);
  }

  /**
   * Rows x0, x0 + xStride, .. (n of them, at most CHUNK), their contributions added at p0,
   * p0 + pStride, ..: every condition decided for every row, then tree by tree the walk giving
   * each block and leaf its mask per row, the blocks and the leaves, each a loop over the rows
   * (in WebAssembly where it runs, the leaves outside blocks after it in JavaScript).
   */
  private explainChunk(x: ArrayLike<number>, x0: number, xStride: number, n: number, phi: Float64Array, p0: number, pStride: number): void {
    this.decide(x, x0, xStride, n);
    const T = this.treeWalk.length - 1;
    const { wasm, treeLeaf } = this;
    if (!wasm) {
      for (let ti = 0; ti < T; ti++) {
        this.walkTree(ti, n, phi, p0, pStride);
        this.leavesOf(ti, n, x, x0, xStride, phi, p0, pStride);
      }
      return;
    }
    for (let from = 0; from < T; ) {
      // Trees [from, to - 1) have no leaves outside blocks, tree to - 1 may: the kernel leaves its masks for them.
      let to = from + 1;
      while (to < T && treeLeaf[to] === treeLeaf[from]) to++;
      wasm.run(from, to, n);
      this.leavesOf(to - 1, n, x, x0, xStride, phi, p0, pStride);
      from = to;
    }
    const F = this.columns;
    const sums = wasm.phi;
    for (let r = 0; r < n; r++) for (let j = 0, o = r * F, po = p0 + r * pStride; j < F; j++) phi[po + j] += sums[o + j];
    sums.fill(0, 0, n * F);
  }

  /** One tree's walk and blocks in JavaScript (where WebAssembly does not run). */
  private walkTree(ti: number, n: number, phi: Float64Array, p0: number, pStride: number): void {
    const { masks, outcome, walk, prog, blocks, keys } = this;
    masks.fill(-1, 0, n);
    for (let k = this.treeWalk[ti] * WALK, end = this.treeWalk[ti + 1] * WALK; k < end; k += WALK) {
      const o = walk[k] * CHUNK;
      const m0 = walk[k + 1] * CHUNK;
      const l0 = walk[k + 2] * CHUNK;
      const r0 = l0 + CHUNK;
      const bit = walk[k + 3];
      for (let r = 0; r < n; r++) {
        // The child the row takes keeps the bit of the split's feature; the other loses it.
        const m = masks[m0 + r];
        const g = outcome[o + r];
        const cold = m & ~bit;
        const hot = m & bit;
        masks[l0 + r] = cold | (hot & g);
        masks[r0 + r] = cold | (hot & ~g);
      }
    }
    for (let i = this.treeProg[ti], end = this.treeProg[ti + 1]; i < end; ) {
      const m0 = prog[i] * CHUNK;
      const p = prog[i + 1];
      const tests = prog[i + 2];
      const w = prog[i + 3];
      const table = prog[i + 4];
      const above = (1 << p) - 1;
      for (let r = 0; r < n; r++) keys[r] = masks[m0 + r] & above;
      for (let j = 0; j < tests; j++) {
        const o = prog[i + 5 + j] * CHUNK;
        const bit = 1 << (p + j);
        for (let r = 0; r < n; r++) keys[r] |= outcome[o + r] & bit;
      }
      const f0 = i + 5 + tests;
      for (let r = 0; r < n; r++) {
        const at = table + keys[r] * w;
        const po = p0 + r * pStride;
        for (let q = 0; q < w; q++) phi[po + prog[f0 + q]] += blocks[at + q];
      }
      i = f0 + w;
    }
  }

  /** One tree's leaves outside blocks, from the masks its walk left. */
  private leavesOf(ti: number, n: number, x: ArrayLike<number>, x0: number, xStride: number, phi: Float64Array, p0: number, pStride: number): void {
    const { masks } = this;
    for (let l = this.treeLeaf[ti], end = this.treeLeaf[ti + 1]; l < end; l++) {
      const m0 = this.leafSlot[l] * CHUNK;
      for (let r = 0; r < n; r++) {
        if (this.leafTable[l] >= 0) this.tableLeaf(l, masks[m0 + r] & ((1 << this.leafD[l]) - 1), phi, p0 + r * pStride);
        else this.polyLeaf(l, masks[m0 + r], x, x0 + r * xStride, phi, p0 + r * pStride);
      }
    }
  }

  /** outcome[c * CHUNK + r]: -1 when row r goes left at condition c, else 0. */
  private decide(x: ArrayLike<number>, x0: number, xStride: number, n: number): void {
    const { outcome, condFeature, condThreshold, condNanLeft, condNode, t } = this;
    for (let c = 0, o = 0; c < condFeature.length; c++, o += CHUNK) {
      const node = condNode[c];
      if (node >= 0) {
        for (let r = 0; r < n; r++) outcome[o + r] = t.goesLeft(x, x0 + r * xStride, node) ? -1 : 0;
        continue;
      }
      const f = x0 + condFeature[c];
      const thr = condThreshold[c];
      const nanLeft = -condNanLeft[c];
      for (let r = 0; r < n; r++) {
        const v = x[f + r * xStride];
        outcome[o + r] = v <= thr ? -1 : v !== v ? nanLeft : 0;
      }
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
