import { linearWalkModule, SPLIT_BYTES, TREE_BYTES, type LinearWalkFn } from './linear-walk-wat.js';
import { LEAF } from './packed-trees.js';

const PAGE = 65536;
/** Rows per kernel call: their values and contributions sit in the memory (64 x columns numbers each). */
export const LINEAR_CHUNK = 64;

/** LinearTreeShap's laid-out trees, as its fields of the same names (see linear-tree-shap.ts). */
export interface LinearProgram {
  treeNode: Int32Array;
  treeN: Int32Array;
  treeQ: Int32Array;
  treeV: Int32Array;
  qWCold: Float64Array;
  feature: Int32Array;
  threshold: Float64Array;
  nanLeft: Uint8Array;
  /** Per node: whether a row goes left for each code rank (PackedTrees.goesLeft), or null for numeric splits and leaves. */
  rankLeft: (Uint8Array | null)[];
  left: Int32Array;
  right: Int32Array;
  before: Int32Array;
  claimAt: Int32Array;
  claims: Int32Array;
  downHot: Float64Array;
  downCold: Float64Array;
  upHot: Float64Array;
  cherryAt: Int32Array;
  cherries: Float64Array;
  downColder: Float64Array;
  /** Model columns the trees read (a row of x and phi in the memory). */
  columns: number;
}

/**
 * LinearTreeShap's passes in WebAssembly (linear-walk-wat.ts): the trees as split records and
 * vectors padded to an even count of nodes, and the rows of one call, in one memory. Callers write
 * rows into `x`, zero `phi`, call `run` and read `phi` (LINEAR_CHUNK x columns, row-major).
 */
export class WasmLinearWalk {
  readonly x: Float64Array;
  readonly phi: Float64Array;
  readonly columns: number;
  private readonly kernel: LinearWalkFn;
  private readonly at: { trees: number; x: number; phi: number; buf: number; hot: number };

  private constructor(module: WebAssembly.Module, p: LinearProgram) {
    const T = p.treeN.length;
    const even = (n: number) => n + (n & 1);
    // Padded offsets per tree: factor vectors (3 per child of a split that is not a cherry), cold weights; and the splits, claims and category bytes to lay out.
    const vecAt = new Int32Array(T + 1);
    const qAt = new Int32Array(T + 1);
    let splits = 0;
    let cherryNumbers = 0;
    let flagBytes = 0;
    let maxBuf = 16;
    let maxNodes = 1;
    for (let t = 0; t < T; t++) {
      const N = p.treeNode[t + 1] - p.treeNode[t];
      const n2 = even(p.treeN[t]);
      let children = 0;
      qAt[t + 1] = qAt[t] + n2;
      maxBuf = Math.max(maxBuf, 8 * N * n2);
      maxNodes = Math.max(maxNodes, N);
      for (let g = p.treeNode[t]; g < p.treeNode[t + 1]; g++) {
        if (p.feature[g] === LEAF) continue;
        splits++;
        if (p.cherryAt[g] >= 0) cherryNumbers += 6 * n2;
        else children += 2;
        flagBytes += p.rankLeft[g]?.length ?? 0;
      }
      vecAt[t + 1] = vecAt[t] + 3 * children * n2;
    }
    // Layout: tree records, split records, factor vectors, cold weights, cherries, claims, flags, x, phi, buf, hot.
    const treesAt = 0;
    const splitsAt = align(TREE_BYTES * T);
    const vecBase = align(splitsAt + SPLIT_BYTES * splits);
    const qBase = vecBase + 8 * vecAt[T];
    const cherryBase = align(qBase + 8 * qAt[T]);
    const claimsBase = align(cherryBase + 8 * cherryNumbers);
    const flagsBase = claimsBase + 4 * p.claims.length;
    const xAt = align(flagsBase + flagBytes);
    const phiAt = xAt + 8 * LINEAR_CHUNK * p.columns;
    const bufAt = align(phiAt + 8 * LINEAR_CHUNK * p.columns);
    const hotAt = bufAt + maxBuf;
    const bytes = hotAt + maxNodes;
    const memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / PAGE) });
    const mem = memory.buffer;
    const i32 = new Int32Array(mem);
    const f64 = new Float64Array(mem);
    const u8 = new Uint8Array(mem);
    let split = splitsAt;
    let cherry = cherryBase;
    let flag = flagsBase;
    for (let t = 0; t < T; t++) {
      const base = p.treeNode[t];
      const N = p.treeNode[t + 1] - base;
      const n = p.treeN[t];
      const n2 = even(n);
      const stride = 8 * n2;
      let vec = vecBase + 8 * vecAt[t];
      const rec = (treesAt + TREE_BYTES * t) >> 2;
      i32[rec] = split;
      i32[rec + 2] = stride;
      i32[rec + 3] = qBase + 8 * qAt[t];
      for (let m = 0; m < n; m++) f64[(qBase >> 3) + qAt[t] + m] = p.qWCold[p.treeQ[t] + m];
      // A child's factors, zero-padded (the padded lane of every product and sum stays 0); returns their address.
      const factors = (k: number) => {
        const at = vec;
        for (let m = 0; m < n; m++) {
          const from = p.treeV[t] + k * n + m;
          f64[(at >> 3) + m] = p.downHot[from];
          f64[(at >> 3) + n2 + m] = p.downCold[from];
          f64[(at >> 3) + 2 * n2 + m] = p.upHot[from];
        }
        vec += 3 * stride;
        return at;
      };
      for (let k = 0; k < N; k++) {
        const g = base + k;
        if (p.feature[g] === LEAF) continue;
        const l = p.left[g];
        const r = p.right[g];
        const s32 = split >> 2;
        f64[split >> 3] = p.threshold[g];
        f64[(split >> 3) + 1] = p.downColder[base + l];
        f64[(split >> 3) + 2] = p.downColder[base + r];
        i32[s32 + 6] = 8 * p.feature[g];
        const ranks = p.rankLeft[g];
        i32[s32 + 7] = ranks ? flag : -1;
        if (ranks) {
          i32[s32 + 8] = ranks.length - 3;
          u8.set(ranks, flag);
          flag += ranks.length;
        }
        i32[s32 + 9] = p.nanLeft[g];
        i32[s32 + 10] = l;
        i32[s32 + 11] = r;
        i32[s32 + 12] = p.before[base + l];
        if (p.cherryAt[g] >= 0) {
          i32[s32 + 13] = cherry;
          for (let c = 0; c < 6; c++) {
            for (let m = 0; m < n; m++) f64[(cherry >> 3) + c * n2 + m] = p.cherries[p.cherryAt[g] + c * n + m];
          }
          cherry += 6 * stride;
        } else {
          i32[s32 + 13] = -1;
          i32[s32 + 21] = factors(l);
          i32[s32 + 22] = factors(r);
        }
        i32[s32 + 14] = claimsBase + 4 * p.claimAt[base + l];
        i32[s32 + 15] = claimsBase + 4 * p.claimAt[base + l + 1];
        i32[s32 + 16] = claimsBase + 4 * p.claimAt[base + r];
        i32[s32 + 17] = claimsBase + 4 * p.claimAt[base + r + 1];
        i32[s32 + 18] = k * stride;
        i32[s32 + 19] = l * stride;
        i32[s32 + 20] = r * stride;
        split += SPLIT_BYTES;
      }
      i32[rec + 1] = split;
      // Claims as byte offsets of the claimed split's vector in buf.
      for (let a = p.claimAt[base]; a < p.claimAt[base + N]; a++) i32[(claimsBase >> 2) + a] = p.claims[a] * stride;
    }
    this.columns = p.columns;
    this.x = new Float64Array(mem, xAt, LINEAR_CHUNK * p.columns);
    this.phi = new Float64Array(mem, phiAt, LINEAR_CHUNK * p.columns);
    this.at = { trees: treesAt, x: xAt, phi: phiAt, buf: bufAt, hot: hotAt };
    this.kernel = new WebAssembly.Instance(module, { env: { mem: memory } }).exports.run as LinearWalkFn;
  }

  /** The kernel for these trees, or null where WebAssembly cannot be built here. */
  static create(p: LinearProgram): WasmLinearWalk | null {
    return linearWalkModule ? new WasmLinearWalk(linearWalkModule, p) : null;
  }

  /** Explains rows [0, rows) of `x` by trees [from, to), adding into `phi`. */
  run(from: number, to: number, rows: number): void {
    const a = this.at;
    this.kernel(a.trees, from, to, rows, a.x, 8 * this.columns, a.phi, a.buf, a.hot);
  }
}

/** Rounded up to 16 bytes (SIMD loads). */
function align(bytes: number): number {
  return (bytes + 15) & -16;
}
