import { walkJs, type WalkArgs } from './walk-js.js';

/** Rows ranked and walked together: the block stays in cache across all trees. */
export const BLOCK = 512;

/** Where a packed forest lives in its memory (byte offsets). */
export interface ForestLayout {
  /** float64 thresholds of all features, then per feature an int32 start index and count. */
  cuts: number;
  cutOff: number;
  cutLen: number;
  /** 16-byte node records (see walk-wat.ts), then each tree's root address and output column. */
  nodes: number;
  roots: number;
  outCols: number;
  val: number;
  end: number;
  /** At most 63 thresholds in all: rows become int64 masks and the walk tests bits (walk-wat.ts). */
  bits?: boolean;
  /** The forest has categorical nodes: walkcat (walk-wat.ts) scores it. */
  cat?: boolean;
}

export interface Scratch {
  xf: number;
  x: number;
  out: number;
  /** One int64 per row (bits mode). */
  masks: number;
}

/** Everything one thread needs to score rows with a packed forest. */
export interface ScoringContext {
  memory: WebAssembly.Memory;
  layout: ForestLayout;
  /** Sorted distinct thresholds per feature. */
  cuts: Float64Array[];
  width: number;
  /** The walk kernel instance bound to `memory`; absent -> the JavaScript kernel. */
  instance?: WebAssembly.Instance;
  /** This thread's block buffers in `memory`: float32 inputs, int32 ranks, float64 outputs. */
  scratch: Scratch;
}

/**
 * Scores rows [r0, r1) of a row-major float matrix (`data`, `cols` wide) with trees [from, to),
 * adding into `out` at row `r - r0 + outRow0`. Used by the main thread and the scoring workers.
 */
export function scoreRows(
  ctx: ScoringContext,
  data: Float32Array,
  cols: number,
  r0: number,
  r1: number,
  out: Float64Array,
  outRow0: number,
  outDim: number,
  from: number,
  to: number,
): void {
  const { buffer } = ctx.memory;
  const x = new Int32Array(buffer, ctx.scratch.x, BLOCK * cols);
  const xf = new Float32Array(buffer, ctx.scratch.xf, BLOCK * cols);
  const blockOut = new Float64Array(buffer, ctx.scratch.out, BLOCK * outDim);
  const L = ctx.layout;
  const walk = ctx.instance?.exports[L.cat ? 'walkcat' : 'walk'] as ((...a: WalkArgs) => void) | undefined;
  const rank = ctx.instance?.exports.rank as ((...a: number[]) => void) | undefined;
  const bits = L.bits && ctx.instance ? (ctx.instance.exports as { masks: (...a: number[]) => void; walkbits: (...a: number[]) => void }) : undefined;
  for (let b0 = r0; b0 < r1; b0 += BLOCK) {
    const rows = Math.min(BLOCK, r1 - b0);
    if (rank) {
      xf.set(data.subarray(b0 * cols, (b0 + rows) * cols));
      rank(ctx.scratch.xf, rows, cols, ctx.cuts.length, L.cuts, L.cutOff, L.cutLen, ctx.scratch.x);
    } else rankBlock(ctx.cuts, data, cols, b0, rows, x);
    blockOut.fill(0);
    if (bits) {
      bits.masks(ctx.scratch.x, rows, cols, ctx.cuts.length, L.cutOff, ctx.scratch.masks);
      bits.walkbits(L.nodes, L.val, L.roots, L.outCols, from, to, ctx.width, ctx.scratch.masks, rows, cols, ctx.scratch.out, outDim);
    } else {
      const args: WalkArgs = [L.nodes, L.val, L.roots, L.outCols, from, to, ctx.width, ctx.scratch.x, rows, cols, ctx.scratch.out, outDim];
      if (walk) walk(...args);
      else walkJs(buffer, L.cat === true, ...args);
    }
    const o = (b0 - r0 + outRow0) * outDim;
    for (let i = 0; i < rows * outDim; i++) out[o + i] += blockOut[i];
  }
}

/** Each value's rank among its feature's thresholds (NaN ranks 0, so it goes left). */
function rankBlock(cuts: Float64Array[], data: Float32Array, cols: number, r0: number, rows: number, out: Int32Array): void {
  const none = new Float64Array(0);
  for (let f = 0; f < cols; f++) {
    const c = f < cuts.length ? cuts[f] : none;
    const m = c.length;
    for (let r = 0, o = f; r < rows; r++, o += cols) {
      const v = data[r0 * cols + o];
      let lo = 0;
      if (m <= 8) {
        while (lo < m && v > c[lo]) lo++;
      } else {
        let hi = m;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (v > c[mid]) lo = mid + 1;
          else hi = mid;
        }
      }
      out[o] = lo;
    }
  }
}
