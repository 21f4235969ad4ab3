import { describe, expect, it } from 'vitest';
import { defaultMaxNodes, leafWeightForSize } from './forest-size.js';

describe('forest size cap', () => {
  it('gives fewer nodes to forests with more classes (each node holds a value per class)', () => {
    expect(defaultMaxNodes(2)).toBe(4_000_000);
    expect(defaultMaxNodes(10)).toBe(1_714_285);
  });

  it('asks for the least leaf weight that bounds the node count, never below minSamplesLeaf', () => {
    // 100 trees on 300k rows: 60M nodes at worst with single-row leaves; 4M needs leaves of 15.
    expect(leafWeightForSize(300_000, 100, 4_000_000, 1)).toBe(15);
    expect(leafWeightForSize(300_000, 100, 4_000_000, 20)).toBe(20);
    // Phishing's 8,844 training rows and 200 trees fit unchanged.
    expect(leafWeightForSize(8_844, 200, 4_000_000, 1)).toBe(1);
  });
});
