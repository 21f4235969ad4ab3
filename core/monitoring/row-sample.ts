/**
 * Whether row `i` of a run seeded `seed` is in a sample of share `rate`: a hash of the two (the
 * murmur3 finaliser), so the same row is picked again when its chunk is scored again.
 */
export function inSample(seed: number, i: number, rate: number): boolean {
  if (rate >= 1) return true;
  if (rate <= 0) return false;
  let h = (seed ^ Math.imul(i, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296 < rate;
}
