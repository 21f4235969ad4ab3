type Typed = Float64Array | Int32Array;

/** A growable typed array for values streaming in; `finish()` returns an exact-length copy. */
export class TypedBuilder<T extends Typed> {
  private buf: T;
  length = 0;
  constructor(private readonly make: (n: number) => T) {
    this.buf = make(1024);
  }
  push(v: number): void {
    if (this.length === this.buf.length) {
      const next = this.make(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = v;
  }
  finish(): T {
    return this.buf.slice(0, this.length) as T;
  }
}

export const float64Builder = () => new TypedBuilder((n) => new Float64Array(n));
export const int32Builder = () => new TypedBuilder((n) => new Int32Array(n));
