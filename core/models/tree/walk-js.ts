/** Arguments of the walk kernel: byte offsets into one memory, as in `walk-wat.ts`. */
export type WalkArgs = [
  nodes: number,
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
export function walkJs(buffer: ArrayBufferLike, ...[nodes, val, roots, outCols, from, to, width, x, rows, cols, out, outDim]: WalkArgs): void {
  const i32 = new Int32Array(buffer);
  const f64 = new Float64Array(buffer);
  const V = val >> 3;
  const O = out >> 3;
  for (let t = from; t < to; t++) {
    const root = i32[(roots >> 2) + t];
    const col = i32[(outCols >> 2) + t];
    for (let r = 0; r < rows; r++) {
      const base = x + r * cols * 4;
      let n = root;
      for (let l = i32[n >> 2]; l !== n; l = i32[n >> 2]) {
        n = l + (((i32[(n >> 2) + 1] - i32[(base + i32[(n >> 2) + 2]) >> 2]) >> 31) & 16);
      }
      const v = V + ((n - nodes) >> 4) * width;
      for (let k = 0; k < width; k++) f64[O + r * outDim + col + k] += f64[v + k];
    }
  }
}
