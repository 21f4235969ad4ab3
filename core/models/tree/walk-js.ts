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

/**
 * The walk kernel in JavaScript, for runtimes without WebAssembly; same algorithm and summation
 * order. `cat`: the forest has categorical nodes (walkcat in walk-wat.ts: word 3 of a node is
 * its flag bytes' address, 0 for numeric nodes).
 */
export function walkJs(buffer: ArrayBufferLike, cat: boolean, ...[nodes, val, roots, outCols, from, to, width, x, rows, cols, out, outDim]: WalkArgs): void {
  const i32 = new Int32Array(buffer);
  const u8 = new Uint8Array(buffer);
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
        const rank = i32[(base + i32[(n >> 2) + 2]) >> 2];
        const flags = cat ? i32[(n >> 2) + 3] : 0;
        n = l + (flags ? (u8[flags + rank] ^ 1) << 4 : ((i32[(n >> 2) + 1] - rank) >> 31) & 16);
      }
      const v = V + ((n - nodes) >> 4) * width;
      for (let k = 0; k < width; k++) f64[O + r * outDim + col + k] += f64[v + k];
    }
  }
}
