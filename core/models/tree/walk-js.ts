/** Arguments of the walk kernel: byte offsets into one memory, as in `walk-wat.ts`. */
export type WalkArgs = [
  lt: number,
  tr: number,
  fe: number,
  val: number,
  roots: number,
  outCols: number,
  from: number,
  to: number,
  width: number,
  x: number,
  rows: number,
  cols: number,
  out: number,
  outDim: number,
];

/** The walk kernel in JavaScript, for runtimes without WebAssembly; same algorithm and summation order. */
export function walkJs(buffer: ArrayBufferLike, ...[lt, tr, fe, val, roots, outCols, from, to, width, x, rows, cols, out, outDim]: WalkArgs): void {
  const i32 = new Int32Array(buffer);
  const f64 = new Float64Array(buffer);
  const L = lt >> 2;
  const T = tr >> 2;
  const F = fe >> 2;
  const V = val >> 3;
  const O = out >> 3;
  const X = x >> 2;
  const step = (n: number, base: number) => i32[L + n] - ((i32[T + n] - i32[base + i32[F + n]]) >> 31);
  for (let t = from; t < to; t++) {
    const root = i32[(roots >> 2) + t];
    const col = i32[(outCols >> 2) + t];
    for (let r = 0; r < rows; r++) {
      const base = X + r * cols;
      let n = root;
      while (i32[L + n] !== n) n = step(n, base);
      for (let k = 0; k < width; k++) f64[O + r * outDim + col + k] += f64[V + n * width + k];
    }
  }
}
