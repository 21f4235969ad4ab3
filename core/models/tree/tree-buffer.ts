/**
 * Growable node arrays of one tree while it is built. Children are allocated as a pair, so a node's
 * right child is always `left + 1`. Leaves have feature -1. `value` holds `width` numbers per node.
 */
export class TreeBuffer {
  feature: Int32Array;
  bin: Int32Array;
  left: Int32Array;
  value: Float64Array;
  size = 0;

  constructor(
    readonly width: number,
    capacity = 64,
  ) {
    this.feature = new Int32Array(capacity);
    this.bin = new Int32Array(capacity);
    this.left = new Int32Array(capacity);
    this.value = new Float64Array(capacity * width);
  }

  /** Appends a leaf and returns its index. */
  add(): number {
    if (this.size === this.feature.length) this.grow();
    const id = this.size++;
    this.feature[id] = -1;
    this.left[id] = -1;
    return id;
  }

  split(node: number, feature: number, bin: number): number {
    const left = this.add();
    this.add();
    this.feature[node] = feature;
    this.bin[node] = bin;
    this.left[node] = left;
    return left;
  }

  private grow(): void {
    const cap = this.feature.length * 2;
    const copy = <T extends Int32Array | Float64Array>(a: T, n: number): T => {
      const b = new (a.constructor as new (n: number) => T)(n);
      b.set(a);
      return b;
    };
    this.feature = copy(this.feature, cap);
    this.bin = copy(this.bin, cap);
    this.left = copy(this.left, cap);
    this.value = copy(this.value, cap * this.width);
  }
}

/** A finished tree in raw-value terms: go left when x[feature] <= threshold. */
export interface Tree {
  feature: number[];
  threshold: number[];
  left: number[];
  value: number[];
}

export function finishTree(buf: TreeBuffer, edges: Float64Array[]): Tree {
  const n = buf.size;
  const feature = Array.from(buf.feature.subarray(0, n));
  return {
    feature,
    threshold: feature.map((f, i) => (f < 0 ? 0 : edges[f][buf.bin[i]])),
    left: Array.from(buf.left.subarray(0, n)),
    value: Array.from(buf.value.subarray(0, n * buf.width)),
  };
}

/**
 * Moves rows [start, end) of `rows` so those whose bin for the feature is <= `bin` come first;
 * returns where the right part starts.
 */
export function partition(rows: Int32Array, start: number, end: number, codes: Uint8Array, offset: number, bin: number): number {
  let i = start;
  let j = end - 1;
  while (i <= j) {
    if (codes[offset + rows[i]] <= bin) i++;
    else {
      const t = rows[i];
      rows[i] = rows[j];
      rows[j--] = t;
    }
  }
  return i;
}
