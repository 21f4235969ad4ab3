import { describe, expect, it } from 'vitest';
import { attackDataset } from '../../test/helpers/synthetic.js';
import { readCsvText, schemaOf } from '../../test/helpers/datasets.js';
import { stratifiedOrder } from '../data/stratified-order.js';
import type { Family } from './families.js';
import { FoldCache } from './fold-cache.js';
import { searchFamily } from './grid-search.js';
import { halvingRounds } from './halving.js';

describe('successive halving rounds', () => {
  it('keeps a third of the candidates and triples the rows until all rows or one candidate', () => {
    expect(halvingRounds(9, 20_000)).toEqual([
      { rows: 5000, candidates: 9 },
      { rows: 15_000, candidates: 3 },
      { rows: 20_000, candidates: 1 },
    ]);
    // The phishing train rows: a first round on more than half of them would save little, so one round on all.
    expect(halvingRounds(9, 8844)).toEqual([{ rows: 8844, candidates: 9 }]);
    expect(halvingRounds(9, 12_000)).toEqual([
      { rows: 5000, candidates: 9 },
      { rows: 12_000, candidates: 3 },
    ]);
    // Big data starts at maxStartRows and stops at one candidate, well before every row.
    expect(halvingRounds(9, 1_000_000)).toEqual([
      { rows: 10_000, candidates: 9 },
      { rows: 30_000, candidates: 3 },
      { rows: 90_000, candidates: 1 },
    ]);
    expect(halvingRounds(1, 300)).toEqual([{ rows: 300, candidates: 1 }]);
    expect(halvingRounds(27, 2700, { minRows: 100 })).toEqual([
      { rows: 100, candidates: 27 },
      { rows: 300, candidates: 9 },
      { rows: 900, candidates: 3 },
      { rows: 2700, candidates: 1 },
    ]);
  });

  it('orders rows so that every prefix holds each class in its share', () => {
    const labels = Int32Array.from({ length: 1000 }, (_, i) => (i % 10 === 0 ? 1 : i % 10 < 4 ? 2 : 0));
    const order = stratifiedOrder(labels, 7);
    expect(new Set(order).size).toBe(1000);
    for (const r of [10, 50, 333]) {
      const counts = [0, 0, 0];
      for (const i of order.subarray(0, r)) counts[labels[i]]++;
      expect(Math.abs(counts[1] - r * 0.1)).toBeLessThanOrEqual(1);
      expect(Math.abs(counts[2] - r * 0.3)).toBeLessThanOrEqual(1);
    }
  });
});

describe('a search by successive halving', () => {
  it('keeps a config an exhaustive search scores best (within noise), scoring far fewer on all rows', async () => {
    const { csv, schema } = attackDataset(2700, 5);
    const { dataset } = await readCsvText(csv, schemaOf(schema));
    // Leaves of >= 100 rows, or one split, cannot separate three classes: only small-leaf trees of depth >= 2 do well.
    const family: Family = { kind: 'decision_tree', grid: { maxDepth: [1, 2, 3], minSamplesLeaf: [1, 100, 400] }, scale: false };
    const exhaustive = await searchFamily(family, dataset, new FoldCache(dataset, 3, 3), { seed: 3, halving: { minRows: 2700 } });
    const halving = await searchFamily(family, dataset, new FoldCache(dataset, 3, 3), { seed: 3, halving: { minRows: 300 } });
    expect(exhaustive.configs).toHaveLength(9);
    expect(exhaustive.configs.every((c) => c.rows === 2700)).toBe(true);
    expect(halving.configs.map((c) => c.rows)).toEqual([...Array<number>(9).fill(300), 900, 900, 900, 2700]);
    const full = (params: object) => exhaustive.configs.find((c) => JSON.stringify(c.params) === JSON.stringify(params))!.cvF1;
    expect(full(halving.params)).toBeGreaterThan(exhaustive.cvF1 - 0.01);
    expect(halving.params).toMatchObject({ minSamplesLeaf: 1 });
    expect(halving.params.maxDepth).toBeGreaterThanOrEqual(2);
    expect(halving).toMatchObject({ rows: 2700, refitRows: 2700, stoppedEarly: false, notes: [] });
  });
});
