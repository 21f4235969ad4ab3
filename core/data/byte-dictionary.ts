const encoder = new TextEncoder();

/**
 * Finds a string's index by its UTF-8 bytes, without decoding them: the CSV reader looks up
 * millions of categorical cells, and making a JavaScript string of each cost more than the rest of
 * the cell's work. Open addressing on an FNV-1a hash; a later duplicate wins, as in a `Map`.
 */
export class ByteDictionary {
  private readonly keys: Uint8Array[];
  private readonly slots: Int32Array;
  private readonly mask: number;

  constructor(values: readonly string[]) {
    this.keys = values.map((v) => encoder.encode(v));
    let size = 8;
    while (size < values.length * 2) size *= 2;
    this.slots = new Int32Array(size).fill(-1);
    this.mask = size - 1;
    this.keys.forEach((key, index) => {
      let slot = hash(key, 0, key.length) & this.mask;
      while (this.slots[slot] >= 0 && !same(this.keys[this.slots[slot]], key, 0, key.length)) slot = (slot + 1) & this.mask;
      this.slots[slot] = index;
    });
  }

  /** Index of the value whose UTF-8 bytes are `b[start, end)`, or -1. */
  lookup(b: Uint8Array, start: number, end: number): number {
    let slot = hash(b, start, end) & this.mask;
    for (;;) {
      const index = this.slots[slot];
      if (index < 0 || same(this.keys[index], b, start, end)) return index;
      slot = (slot + 1) & this.mask;
    }
  }
}

function hash(b: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ b[i], 0x01000193);
  return h >>> 0;
}

function same(key: Uint8Array, b: Uint8Array, start: number, end: number): boolean {
  if (key.length !== end - start) return false;
  for (let i = 0; i < key.length; i++) if (key[i] !== b[start + i]) return false;
  return true;
}
