import { compileWat } from './tree/compile-wat.js';

/**
 * WebAssembly text of KNN's brute-force distances: dist4(pts, m, bytes, qs, out) writes the
 * squared Euclidean distance of each of 4 queries (at qs, `bytes` apart) to each of m points (at
 * pts, `bytes` apart) into out[q * m + j], float64. Rows are padded with zeros to an even column
 * count. Each distance sums even and odd columns in the two lanes of an f64x2, columns in order,
 * then adds the lanes: the canonical sum of knn-search.ts `squaredDistance`, so JavaScript and
 * this kernel agree to the bit. Four queries share each point's loads and give four independent
 * add chains (one query alone waits on its single chain).
 */
const WAT = `(module
  (import "env" "mem" (memory 1))
  (func (export "dist4") (param $pts i32) (param $m i32) (param $bytes i32) (param $qs i32) (param $out i32)
    (local $j i32) (local $c i32) (local $p i32) (local $q1 i32) (local $q2 i32) (local $q3 i32) (local $m8 i32)
    (local $v v128) (local $d v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $q1 (i32.add (local.get $qs) (local.get $bytes)))
    (local.set $q2 (i32.add (local.get $q1) (local.get $bytes)))
    (local.set $q3 (i32.add (local.get $q2) (local.get $bytes)))
    (local.set $m8 (i32.shl (local.get $m) (i32.const 3)))
    (local.set $p (local.get $pts))
    (block $done (loop $point
      (br_if $done (i32.ge_u (local.get $j) (local.get $m)))
      (local.set $a0 (v128.const f64x2 0 0))
      (local.set $a1 (v128.const f64x2 0 0))
      (local.set $a2 (v128.const f64x2 0 0))
      (local.set $a3 (v128.const f64x2 0 0))
      (local.set $c (i32.const 0))
      (block $cdone (loop $col
        (br_if $cdone (i32.ge_u (local.get $c) (local.get $bytes)))
        (local.set $v (v128.load (i32.add (local.get $p) (local.get $c))))
        (local.set $d (f64x2.sub (v128.load (i32.add (local.get $qs) (local.get $c))) (local.get $v)))
        (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $d) (local.get $d))))
        (local.set $d (f64x2.sub (v128.load (i32.add (local.get $q1) (local.get $c))) (local.get $v)))
        (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (local.get $d) (local.get $d))))
        (local.set $d (f64x2.sub (v128.load (i32.add (local.get $q2) (local.get $c))) (local.get $v)))
        (local.set $a2 (f64x2.add (local.get $a2) (f64x2.mul (local.get $d) (local.get $d))))
        (local.set $d (f64x2.sub (v128.load (i32.add (local.get $q3) (local.get $c))) (local.get $v)))
        (local.set $a3 (f64x2.add (local.get $a3) (f64x2.mul (local.get $d) (local.get $d))))
        (local.set $c (i32.add (local.get $c) (i32.const 16)))
        (br $col)))
      (f64.store (local.get $out) (f64.add (f64x2.extract_lane 0 (local.get $a0)) (f64x2.extract_lane 1 (local.get $a0))))
      (f64.store (i32.add (local.get $out) (local.get $m8)) (f64.add (f64x2.extract_lane 0 (local.get $a1)) (f64x2.extract_lane 1 (local.get $a1))))
      (f64.store (i32.add (local.get $out) (i32.shl (local.get $m8) (i32.const 1))) (f64.add (f64x2.extract_lane 0 (local.get $a2)) (f64x2.extract_lane 1 (local.get $a2))))
      (f64.store (i32.add (local.get $out) (i32.mul (local.get $m8) (i32.const 3))) (f64.add (f64x2.extract_lane 0 (local.get $a3)) (f64x2.extract_lane 1 (local.get $a3))))
      (local.set $out (i32.add (local.get $out) (i32.const 8)))
      (local.set $p (i32.add (local.get $p) (local.get $bytes)))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $point))))
)`;

/** Compiled once when this module loads; null where WebAssembly (with SIMD) cannot be built here. */
export const distanceModule: WebAssembly.Module | null = await compileWat('knn-dist.wat', WAT);

/** Queries per kernel call. */
export const BLOCK = 4;

/**
 * The kernel over one set of points, in its own memory: `distances` fills `out` (BLOCK x m) for
 * BLOCK queries at once. Null when the kernel is unavailable.
 */
export class DistanceKernel {
  private readonly mem: WebAssembly.Memory;
  private readonly dist4: (pts: number, m: number, bytes: number, qs: number, out: number) => void;
  private readonly qs: number;
  private readonly outAt: number;
  private readonly bytes: number;
  /** Padded query rows, BLOCK x padded cols, in the kernel's memory. */
  readonly queries: Float64Array;
  /** Distances of the last call, BLOCK x m. */
  readonly out: Float64Array;

  private constructor(
    mod: WebAssembly.Module,
    points: Float64Array,
    private readonly m: number,
    private readonly cols: number,
  ) {
    const padded = cols + (cols & 1);
    this.bytes = padded * 8;
    const need = m * this.bytes + BLOCK * this.bytes + BLOCK * m * 8;
    this.mem = new WebAssembly.Memory({ initial: Math.ceil(need / 65536) + 1 });
    const inst = new WebAssembly.Instance(mod, { env: { mem: this.mem } });
    this.dist4 = inst.exports.dist4 as typeof this.dist4;
    const pts = new Float64Array(this.mem.buffer, 0, m * padded);
    for (let j = 0; j < m; j++) pts.set(points.subarray(j * cols, (j + 1) * cols), j * padded);
    this.qs = m * this.bytes;
    this.queries = new Float64Array(this.mem.buffer, this.qs, BLOCK * padded);
    this.outAt = this.qs + BLOCK * this.bytes;
    this.out = new Float64Array(this.mem.buffer, this.outAt, BLOCK * m);
  }

  static over(points: Float64Array, cols: number): DistanceKernel | null {
    return distanceModule ? new DistanceKernel(distanceModule, points, points.length / cols, cols) : null;
  }

  /** Copies query row `slot` (0..BLOCK-1) in, as float64. */
  setQuery(slot: number, row: ArrayLike<number>, from: number): void {
    const padded = this.bytes / 8;
    for (let c = 0; c < this.cols; c++) this.queries[slot * padded + c] = row[from + c];
  }

  run(): void {
    this.dist4(0, this.m, this.bytes, this.qs, this.outAt);
  }
}
