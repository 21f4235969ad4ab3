import type { Matrix } from '../../data/matrix.js';
import { ModelError } from '../../errors.js';
import { BLOCK, scoreRows, type ForestLayout, type Scratch, type ScoringContext } from './score-rows.js';
import { existingScoringPool, scoringPool, type ScoringPool } from './scoring-pool.js';
import type { CategorySplit, Tree } from './tree-buffer.js';
import { walkModules } from './walk-module.js';

/** Leaves point to themselves and never go right, so a lane can idle on them. */
const NEVER = 0x3fffffff;
/** In bits mode a leaf tests bit 63, which no mask sets (at most 63 thresholds: bits 0..62). */
const LEAF_BIT = 63;
/** Forests smaller than this walk ranks even when their thresholds fit a mask (measured: 1 tree 10 % slower with masks, 50 trees 18 % faster). */
const BITS_MIN_TREES = 4;
const PAGE = 65536;
/** A node record: left child's address, threshold rank, feature * 4, mask bit (see walk-wat.ts). */
const NODE_BYTES = 16;
const MAX_PAGES = 16384;
/** Batches at least this big are split across the scoring pool's threads. */
const PARALLEL_MIN_ROWS = 8192;
/** How long the main thread waits for a worker's range before scoring it itself. */
const WORKER_TIMEOUT_MS = 60_000;

let nextId = 1;
const dropInWorkers = new FinalizationRegistry<number>((id) => existingScoringPool()?.dropEverywhere(id));

/**
 * Trees packed into flat int32 / float64 arrays inside a WebAssembly memory and scored by the
 * WebAssembly walk kernel (`walk-wat.ts`), or by the same algorithm in JavaScript where
 * WebAssembly cannot be compiled. Each input value is first replaced by its rank among the
 * forest's thresholds for its feature, so "x > threshold" becomes the integer test "rank > k".
 * Big batches are split across the scoring pool's threads, which share the forest's memory.
 * A categorical feature (trees with CategorySplit nodes) gets the cuts -1.5, -0.5, ..., n - 0.5,
 * so its rank tells the codes apart: 0 unknown (below -1, also NaN), 1 missing (-1), 2 + code,
 * n + 2 unknown (n or more); a categorical node holds one flag byte per rank (1 = left).
 */
export class Forest {
  readonly size: number;
  private readonly id = nextId++;
  private readonly ctx: ScoringContext;
  private readonly pool: ScoringPool | null;
  /** Scratch slot per thread (0 = this thread, 1 + i = pool worker i), sized for cols x outDim. */
  private slots: { cols: number; outDim: number; offsets: Scratch[] } | undefined;
  private readonly registered = new Set<number>();

  /**
   * @param width numbers per leaf (K class shares for a forest, 1 raw score for boosting)
   * @param outCol output column of each tree (per-class trees in multi-class boosting)
   */
  /** Threads the last `accumulate` call used (diagnostics and tests). */
  lastThreads = 0;

  /** Which walk scores this forest: WebAssembly over threshold bit masks or over ranks, or JavaScript. */
  get kernel(): 'wasm-bits' | 'wasm-ranks' | 'wasm-cat' | 'js' {
    const L = this.ctx.layout;
    return !this.ctx.instance ? 'js' : L.bits ? 'wasm-bits' : L.cat ? 'wasm-cat' : 'wasm-ranks';
  }

  constructor(trees: Tree[], width: number, outCol: Int32Array, options: { kernel?: 'auto' | 'js' } = {}) {
    const nodes = trees.reduce((s, t) => s + t.feature.length, 0);
    const cols = 1 + trees.reduce((m, t) => t.feature.reduce((a, f) => Math.max(a, f), m), -1);
    const catN = categoricalFeatures(trees);
    const sets = Array.from({ length: cols }, () => new Set<number>());
    for (const t of trees) t.feature.forEach((f, i) => f >= 0 && !catN.has(f) && sets[f].add(t.threshold[i]));
    const cuts = sets.map((s, f) => (catN.has(f) ? categoryCuts(catN.get(f)!) : Float64Array.from(s).sort()));
    const cat = catN.size > 0;
    let flagBytes = 0;
    for (const t of trees) for (const c of t.categories ?? []) if (c) flagBytes += c.n + 3;
    this.size = trees.length;

    const nCuts = cuts.reduce((n, c) => n + c.length, 0);
    const cutsAt = 0;
    const cutOff = cutsAt + 8 * nCuts;
    const cutLen = cutOff + 4 * cols;
    const nodesAt = align16(cutLen + 4 * cols);
    const roots = nodesAt + NODE_BYTES * nodes;
    const outCols = roots + 4 * trees.length;
    const val = align8(outCols + 4 * trees.length);
    const flagsAt = val + 8 * nodes * width;
    const end = flagsAt + flagBytes;
    // Few thresholds in all (e.g. features in {-1, 0, 1}): each row's comparisons fit one int64.
    // Building a row's mask costs about what one deep tree saves, so a lone tree keeps the ranks.
    const bits = !cat && nCuts <= LEAF_BIT && trees.length >= BITS_MIN_TREES;
    const layout: ForestLayout = { cuts: cutsAt, cutOff, cutLen, nodes: nodesAt, roots, outCols, val, end, bits, cat };
    const wasm = options.kernel === 'js' ? null : walkModules;
    this.pool = wasm ? scoringPool() : null;
    const initial = Math.ceil(end / PAGE) + 1;
    const memory = this.pool
      ? new WebAssembly.Memory({ initial, maximum: Math.max(initial, MAX_PAGES), shared: true })
      : new WebAssembly.Memory({ initial });
    const i32 = new Int32Array(memory.buffer);
    const u8 = new Uint8Array(memory.buffer);
    const f64 = new Float64Array(memory.buffer);
    let flagAt = flagsAt;
    let at = 0;
    cuts.forEach((c, f) => {
      f64.set(c, (cutsAt >> 3) + at);
      i32[(cutOff >> 2) + f] = at;
      i32[(cutLen >> 2) + f] = c.length;
      at += c.length;
    });
    at = 0;
    const address = (node: number) => nodesAt + NODE_BYTES * node;
    trees.forEach((t, ti) => {
      i32[(roots >> 2) + ti] = address(at);
      i32[(outCols >> 2) + ti] = outCol[ti];
      for (let j = 0; j < t.feature.length; j++) {
        const f = t.feature[j];
        const rec = address(at + j) >> 2;
        const split = f >= 0 ? t.categories?.[j] : null;
        i32[rec] = f < 0 ? address(at + j) : address(at + t.left[j]);
        i32[rec + 1] = f < 0 ? NEVER : split ? 0 : cuts[f].indexOf(t.threshold[j]);
        i32[rec + 2] = 4 * Math.max(f, 0);
        if (cat) {
          // walkcat: the node's flag bytes, or 0 for a numeric node.
          i32[rec + 3] = split ? flagAt : 0;
          if (split) flagAt = writeFlags(u8, flagAt, split);
        } else {
          // Bit of the row mask that says "right" (bits mode): the threshold's index among all cuts.
          i32[rec + 3] = f < 0 ? LEAF_BIT : i32[(cutOff >> 2) + f] + cuts[f].indexOf(t.threshold[j]);
        }
      }
      f64.set(t.value, (val >> 3) + at * width);
      at += t.feature.length;
    });
    const module = wasm && (this.pool ? wasm.shared : wasm.plain);
    const instance = module ? new WebAssembly.Instance(module, { env: { mem: memory } }) : undefined;
    this.ctx = { memory, layout, cuts, width, instance, scratch: { xf: 0, x: 0, out: 0, masks: 0 } };
    if (this.pool) dropInWorkers.register(this, this.id);
  }

  /** Adds the leaf values of trees [from, to) for every row of X into `out` (rows x outDim). */
  accumulate(X: Matrix, out: Float64Array, outDim: number, to = this.size, from = 0): void {
    const workers = this.pool && X.rows >= PARALLEL_MIN_ROWS ? this.pool.ready() : [];
    const slots = this.slotsFor(X.cols, outDim);
    const main = { ...this.ctx, scratch: slots[0] };
    this.lastThreads = 1 + workers.length;
    if (!workers.length) return scoreRows(main, X.data, X.cols, 0, X.rows, out, 0, outDim, from, to);

    const pool = this.pool!;
    let x = X.data.buffer;
    if (!(x instanceof SharedArrayBuffer) || X.data.byteOffset !== 0) {
      x = new SharedArrayBuffer(X.data.byteLength);
      new Float32Array(x).set(X.data);
    }
    const parts = workers.length + 1;
    const bounds = Array.from({ length: parts + 1 }, (_, i) => Math.round((i * X.rows) / parts));
    const jobs = workers.map((w, i) => {
      this.register(w, slots[w + 1]);
      const [r0, r1] = [bounds[i + 1], bounds[i + 2]];
      const buf = new SharedArrayBuffer(8 * (r1 - r0) * outDim);
      pool.send(w, { type: 'score', id: this.id, x, cols: X.cols, r0, r1, out: buf, outDim, from, to });
      return { w, r0, r1, buf };
    });
    scoreRows(main, X.data, X.cols, 0, bounds[1], out, 0, outDim, from, to);
    for (const { w, r0, r1, buf } of jobs) {
      if (pool.wait(w, WORKER_TIMEOUT_MS)) {
        const part = new Float64Array(buf);
        const o = r0 * outDim;
        for (let i = 0; i < part.length; i++) out[o + i] += part[i];
      } else {
        scoreRows(main, X.data, X.cols, r0, r1, out, r0, outDim, from, to);
      }
    }
  }

  /** Sends the forest to a worker once per scratch layout. */
  private register(worker: number, scratch: Scratch): void {
    if (this.registered.has(worker)) return;
    const { memory, layout, cuts, width } = this.ctx;
    this.pool!.send(worker, { type: 'forest', id: this.id, memory, layout, cuts, width, scratch });
    this.registered.add(worker);
  }

  /** Block buffers for every thread, after the forest in its memory; grows the memory when needed. */
  private slotsFor(cols: number, outDim: number): Scratch[] {
    if (this.slots && this.slots.cols >= cols && this.slots.outDim >= outDim) return this.slots.offsets;
    const threads = 1 + (this.pool ? this.pool.size : 0);
    let at = this.ctx.layout.end;
    const offsets = Array.from({ length: threads }, () => {
      const xf = align8(at);
      const x = align8(xf + 4 * BLOCK * cols);
      const out = align8(x + 4 * BLOCK * cols);
      const masks = align8(out + 8 * BLOCK * outDim);
      at = masks + 8 * BLOCK;
      return { xf, x, out, masks };
    });
    const have = this.ctx.memory.buffer.byteLength;
    if (at > have) this.ctx.memory.grow(Math.ceil((at - have) / PAGE));
    this.slots = { cols, outDim, offsets };
    this.registered.clear();
    return offsets;
  }
}

/** Category count of each categorical feature; a feature may not be categorical in one tree and numeric in another. */
function categoricalFeatures(trees: Tree[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const t of trees) {
    t.categories?.forEach((c, i) => {
      if (!c || t.feature[i] < 0) return;
      const had = out.get(t.feature[i]);
      if (had !== undefined && had !== c.n) throw new ModelError(`forest: feature ${t.feature[i]} has ${had} categories in one tree and ${c.n} in another`);
      out.set(t.feature[i], c.n);
    });
  }
  for (const t of trees) {
    t.feature.forEach((f, i) => {
      if (f >= 0 && out.has(f) && !t.categories?.[i]) throw new ModelError(`forest: feature ${f} splits as a number and as a category`);
    });
  }
  return out;
}

/** Cuts that give each code of an n-category feature its own rank (see Forest). */
function categoryCuts(n: number): Float64Array {
  return Float64Array.from({ length: n + 2 }, (_, i) => i - 1.5);
}

/** Writes a categorical node's n + 3 flag bytes (one per rank, 1 = left) at `at`; returns the next free byte. */
function writeFlags(u8: Uint8Array, at: number, split: CategorySplit): number {
  const unknown = split.left.includes(-2) ? 1 : 0;
  u8[at] = unknown;
  u8[at + split.n + 2] = unknown;
  for (const code of split.left) {
    if (code >= split.n) throw new ModelError(`forest: a categorical node sends code ${code} left but has ${split.n} categories`);
    if (code >= -1) u8[at + code + 2] = 1;
  }
  return at + split.n + 3;
}

const align8 = (n: number) => (n + 7) & ~7;
const align16 = (n: number) => (n + 15) & ~15;
