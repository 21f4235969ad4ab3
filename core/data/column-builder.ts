type Typed = Float64Array | Int32Array;

/** A growable typed array for values streaming in; `finish()` returns the values at exact length (a view of the buffer when nearly full, so push nothing after). */
export class TypedBuilder<T extends Typed> {
  private buf: T;
  length = 0;
  constructor(private readonly make: (n: number) => T) {
    this.buf = make(1024);
  }
  /** Grows the buffer to hold at least `n` values, so a known size costs no doubling copies. */
  reserve(n: number): void {
    if (n <= this.buf.length) return;
    const next = this.make(n);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
  push(v: number): void {
    if (this.length === this.buf.length) this.reserve(this.buf.length * 2);
    this.buf[this.length++] = v;
  }
  /** Pushes `src[i]` (a double passed as an argument to a call that is not inlined gets boxed). */
  pushFrom(src: Float64Array | Int32Array, i: number): void {
    if (this.length === this.buf.length) this.reserve(this.buf.length * 2);
    this.buf[this.length++] = src[i];
  }
  finish(): T {
    // Little room left (a column sized from the input's size): a view of it, not a copy.
    return (this.length >= this.buf.length * 0.9 ? this.buf.subarray(0, this.length) : this.buf.slice(0, this.length)) as T;
  }
}

export const float64Builder = () => new TypedBuilder((n) => new Float64Array(n));
export const int32Builder = () => new TypedBuilder((n) => new Int32Array(n));
