import { describe, expect, it } from 'vitest';
import { explanationGap, growingTree, randomRow, randomTree } from '../../test/helpers/random-trees.js';
import { Rng } from '../data/rng.js';
import { LinearTreeShap } from './linear-tree-shap.js';
import { linearWalkModule } from './linear-walk-wat.js';
import { LINEAR_CHUNK } from './wasm-linear-walk.js';

/** Largest |a - b| over the entries. */
const gap = (a: Float64Array, b: Float64Array) => a.reduce((w, v, j) => Math.max(w, Math.abs(v - b[j])), 0);

describe('LinearTreeShap in WebAssembly', () => {
  it('builds here (Node 20 has SIMD), so the tests below compare the kernel with JavaScript', () => {
    expect(linearWalkModule).not.toBeNull();
  });

  it('gives the JavaScript values on numeric, NaN and categorical splits, odd and even node counts', () => {
    const rng = new Rng(31);
    let worst = 0;
    for (let trial = 0; trial < 40; trial++) {
      const M = 2 + rng.int(14);
      const categorical = new Set([0, 1]);
      // Depths 1-12: 1 to 6+ Gauss-Legendre nodes, so both an even count and one padded to even.
      const trees = Array.from({ length: 1 + rng.int(5) }, () => {
        const t = randomTree(rng, M, 1 + rng.int(12), { categorical, nCats: 1 + rng.int(6) });
        return { ...t, defaultLeft: t.feature.map(() => rng.next() < 0.5) };
      });
      const js = new LinearTreeShap(trees, { wasm: false });
      const wasm = new LinearTreeShap(trees);
      expect(wasm.expected).toBe(js.expected);
      for (let r = 0; r < 4; r++) {
        const x = randomRow(rng, M).map((v) => (rng.next() < 0.2 ? NaN : v));
        x[0] = rng.next() < 0.2 ? NaN : rng.int(10) - 3;
        x[1] = rng.int(9) - 2 + (rng.next() < 0.3 ? 0.5 : 0);
        const a = new Float64Array(M);
        const b = new Float64Array(M);
        js.explain(x, 0, a);
        wasm.explain(x, 0, b);
        // A feature's total is at least one contribution: the kernel must not leave any out.
        expect(b.some((v) => v !== 0)).toBe(a.some((v) => v !== 0));
        worst = Math.max(worst, gap(a, b));
      }
    }
    // Same terms, summed in another order (two lanes).
    expect(worst).toBeLessThan(1e-12);
  });

  it('gives the JavaScript values on a tree past the unrolled kernels (40 distinct path features: 20 nodes, looping)', () => {
    const rng = new Rng(9);
    const M = 40;
    // A spine of one split per feature, the other child a leaf; covers shrink down the spine.
    const { t, leaf } = growingTree(rng);
    let node = leaf(1000);
    for (let f = 0; f < M; f++) {
      const l = leaf(0);
      leaf(0);
      const spineLeft = rng.next() < 0.5;
      t.cover![spineLeft ? l : l + 1] = t.cover![node] * 0.9;
      t.cover![spineLeft ? l + 1 : l] = t.cover![node] * 0.1;
      t.feature[node] = f;
      t.threshold[node] = 0;
      t.left[node] = l;
      t.defaultLeft![node] = rng.next() < 0.5;
      node = spineLeft ? l : l + 1;
    }
    const js = new LinearTreeShap([t], { wasm: false });
    const wasm = new LinearTreeShap([t]);
    for (let r = 0; r < 10; r++) {
      const x = Array.from({ length: M }, () => (rng.next() < 0.1 ? NaN : rng.next() * 2 - 1.2));
      expect(explanationGap(x, M, js, wasm)).toBeLessThan(1e-12);
    }
  });

  it('explains blocks of more rows than a kernel call holds, adding to what phi held', () => {
    const rng = new Rng(5);
    const M = 9;
    const trees = Array.from({ length: 7 }, () => randomTree(rng, M, 10));
    const js = new LinearTreeShap(trees, { wasm: false });
    const wasm = new LinearTreeShap(trees);
    const R = 2 * LINEAR_CHUNK + 13;
    const block = new Float64Array(Array.from({ length: R + 3 }, () => randomRow(rng, M)).flat());
    const a = new Float64Array(R * M).fill(1);
    const b = new Float64Array(R * M).fill(1);
    js.explainRows(block, M, 3, R + 3, a);
    wasm.explainRows(block, M, 3, R + 3, b);
    expect(gap(a, b)).toBeLessThan(1e-12);
    expect(a.every((v) => v === 1)).toBe(false);
  });
});
