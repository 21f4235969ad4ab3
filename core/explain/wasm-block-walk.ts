import { blockWalkModule, CHUNK, type BlockWalkFn } from './block-walk-wat.js';

const PAGE = 65536;
/** Bytes of a per-row array of the kernel (CHUNK i32s). */
const ROWS = CHUNK * 4;

/** FastTreeShap's walk and blocks as laid out for JavaScript (see its fields `walk`, `prog`, `treeWalk`, `treeProg`). */
export interface BlockProgram {
  conditions: number;
  /** Mask arrays per row of a tree, at most. */
  slots: number;
  /** Records of 4 per walked split: condition, slot, left child's slot, bit. */
  walk: Int32Array;
  /** Per tree, its first walked split (record index), the total last. */
  treeWalk: Int32Array;
  /** Per block: slot, p, tests, width, table offset (numbers), the tests' conditions, the features. */
  prog: Int32Array;
  treeProg: Int32Array;
  /** Numbers of all block tables. */
  tableNumbers: number;
  /** Model columns the blocks add to (a row of phi). */
  columns: number;
}

/**
 * The walk and block additions of FastTreeShap in WebAssembly (block-walk-wat.ts): records,
 * block tables and chunk scratch in one memory. Callers fill `blocks`, write `outcome` per
 * chunk, call `run` and read `phi` (CHUNK x columns, which they must zero again) and `masks`.
 */
export class WasmBlockWalk {
  /** Condition c's outcome for row r at c * CHUNK + r: -1 when the row goes left, else 0. */
  readonly outcome: Int32Array;
  /** The mask reaching slot s of the last tree run, row r at s * CHUNK + r. */
  readonly masks: Int32Array;
  /** The block tables, at the offsets of the program. */
  readonly blocks: Float64Array;
  /** Contributions of the rows run since it was last zeroed, row r at r * columns. */
  readonly phi: Float64Array;
  private readonly kernel: BlockWalkFn;
  private readonly at: { treeWalk: number; treeProg: number; masks: number; keys: number; phi: number; rowBytes: number };

  private constructor(module: WebAssembly.Module, p: BlockProgram) {
    const T = p.treeWalk.length - 1;
    const testsOf = (i: number) => p.prog[i + 2];
    const widthOf = (i: number) => p.prog[i + 3];
    let progBytes = 0;
    for (let i = 0; i < p.prog.length; i += 5 + testsOf(i) + widthOf(i)) if (widthOf(i)) progBytes += 20 + 8 * testsOf(i) + 4 * widthOf(i);
    // Layout: tables, outcomes, masks, keys, phi, walk records, treeWalk, block records, treeProg.
    const blocksAt = 0;
    const outcomeAt = align(8 * p.tableNumbers);
    const masksAt = outcomeAt + ROWS * p.conditions;
    const keysAt = masksAt + ROWS * p.slots;
    const phiAt = keysAt + ROWS;
    const walkAt = align(phiAt + 8 * CHUNK * p.columns);
    const treeWalkAt = walkAt + 4 * p.walk.length;
    const progAt = align(treeWalkAt + 4 * (T + 1));
    const treeProgAt = progAt + progBytes;
    const bytes = treeProgAt + 4 * (T + 1);
    const memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / PAGE) });
    const buf = memory.buffer;
    this.blocks = new Float64Array(buf, blocksAt, p.tableNumbers);
    this.outcome = new Int32Array(buf, outcomeAt, CHUNK * p.conditions);
    this.masks = new Int32Array(buf, masksAt, CHUNK * p.slots);
    this.phi = new Float64Array(buf, phiAt, CHUNK * p.columns);
    const walk = new Int32Array(buf, walkAt, p.walk.length);
    for (let k = 0; k < p.walk.length; k += 4) {
      walk[k] = outcomeAt + ROWS * p.walk[k];
      walk[k + 1] = masksAt + ROWS * p.walk[k + 1];
      walk[k + 2] = masksAt + ROWS * p.walk[k + 2];
      walk[k + 3] = p.walk[k + 3];
    }
    const treeWalk = new Int32Array(buf, treeWalkAt, T + 1);
    for (let t = 0; t <= T; t++) treeWalk[t] = walkAt + 16 * p.treeWalk[t];
    const prog = new Int32Array(buf, progAt, progBytes / 4);
    const treeProg = new Int32Array(buf, treeProgAt, T + 1);
    let o = 0;
    for (let t = 0, i = 0; t < T; t++) {
      treeProg[t] = progAt + 4 * o;
      for (; i < p.treeProg[t + 1]; i += 5 + testsOf(i) + widthOf(i)) {
        const [slot, above, tests, width, table] = p.prog.subarray(i, i + 5);
        // A block without features adds nothing.
        if (!width) continue;
        prog.set([masksAt + ROWS * slot, (1 << above) - 1, tests, 8 * width, blocksAt + 8 * table], o);
        o += 5;
        for (let j = 0; j < tests; j++, o += 2) prog.set([outcomeAt + ROWS * p.prog[i + 5 + j], 1 << (above + j)], o);
        for (let q = 0; q < width; q++) prog[o++] = 8 * p.prog[i + 5 + tests + q];
      }
    }
    treeProg[T] = progAt + 4 * o;
    this.at = { treeWalk: treeWalkAt, treeProg: treeProgAt, masks: masksAt, keys: keysAt, phi: phiAt, rowBytes: 8 * p.columns };
    this.kernel = new WebAssembly.Instance(module, { env: { mem: memory } }).exports.run as BlockWalkFn;
  }

  /** The kernel for this program, or null where WebAssembly cannot be built here. */
  static create(p: BlockProgram): WasmBlockWalk | null {
    return blockWalkModule ? new WasmBlockWalk(blockWalkModule, p) : null;
  }

  /** Walks trees [from, to) for rows [0, n) of the chunk, adding their blocks into `phi`. */
  run(from: number, to: number, n: number): void {
    const a = this.at;
    this.kernel(a.treeWalk, a.treeProg, a.masks, a.keys, a.phi, a.rowBytes, from, to, n);
  }
}

/** Rounded up to 16 bytes (SIMD loads). */
function align(bytes: number): number {
  return (bytes + 15) & -16;
}
