import { describe, expect, it } from 'vitest';
import { attackDataset } from '../../test/helpers/synthetic.js';
import { readCsvText, schemaOf } from '../../test/helpers/datasets.js';
import { familyDeadline, MIN_FAMILY_SECONDS, NoTimeLeftError } from './budget.js';
import { KNN_MAX_ROWS, type Family } from './families.js';
import { FoldCache } from './fold-cache.js';
import { searchFamily } from './grid-search.js';
import { searchAll } from '../../bench/lib/search-all.js';

const dataset = async (rows: number, seed: number) => {
  const { csv, schema } = attackDataset(rows, seed);
  return (await readCsvText(csv, schemaOf(schema))).dataset;
};

describe('a time budget shared by families', () => {
  it('gives each family its weighted share of the time left, never past the search deadline', () => {
    const now = 1_000_000;
    const end = now + 100_000;
    // Two slots, weights 1.5 + 1 + 1 + 1.5: the first gets 2 x 1.5/5 of the time left.
    expect(familyDeadline(now, end, [{ weight: 1.5 }, {}, {}, { weight: 1.5 }], 2)).toBe(now + 60_000);
    expect(familyDeadline(now, end, [{}, {}, {}, {}], 1)).toBe(now + 25_000);
    // Alone, or more slots than families: all that is left.
    expect(familyDeadline(now, end, [{ weight: 0.5 }], 2)).toBe(end);
    expect(familyDeadline(now, end, [{ weight: 9 }, {}], 2)).toBe(end);
    // Less than MIN_FAMILY_SECONDS left: skipped, except the first family, which gets that much.
    expect(familyDeadline(now, now + 1999, [{}, {}], 2)).toBeUndefined();
    expect(familyDeadline(now, now - 5, [{}, {}], 2, true)).toBe(now + MIN_FAMILY_SECONDS * 1000);
  });

  it('skips a family whose share is gone before it starts, and the first family still gives a model', async () => {
    const data = await dataset(600, 31);
    const families: Family[] = [
      { kind: 'decision_tree', grid: { maxDepth: [4, 8] }, scale: false },
      { kind: 'random_forest', grid: { nEstimators: [5, 10] }, stageParam: 'nEstimators', scale: false },
      { kind: 'logistic_regression', grid: { C: [1] }, scale: true },
    ];
    const out = await searchAll(families, data, { threads: 1, seed: 2, deadline: Date.now() + 500 });
    expect(out.results.map((r) => r.family)).toEqual(['decision_tree']);
    expect(out.skipped).toEqual([
      { family: 'random_forest', reason: 'no time left' },
      { family: 'logistic_regression', reason: 'no time left' },
    ]);
    expect(out.failures).toEqual([]);
    expect(out.results[0].pipeline.predictProba(data.features)).toHaveLength(600 * 3);
    await expect(searchFamily(families[1], data, new FoldCache(data, 3, 2), { deadline: Date.now() - 1 })).rejects.toBeInstanceOf(NoTimeLeftError);
  });

  it('stops a search at its deadline with the best config so far and says so', async () => {
    const data = await dataset(3000, 32);
    // 8 configs of 600 rounds on 3,000 rows (3 folds each) cannot all be scored in 3 seconds (150 rounds could, on a quiet machine); the probe (7 leaves, 1,000 rows) is quick.
    const family: Family = { kind: 'gradient_boosting', grid: { maxLeafNodes: [7, 31, 63, 127], learningRate: [0.1, 0.3], maxIter: [600] }, scale: false };
    const started = Date.now();
    const r = await searchFamily(family, data, new FoldCache(data, 3, 2), { seed: 2, deadline: started + 3000 });
    expect(r.stoppedEarly).toBe(true);
    expect(r.notes.join('\n')).toMatch(/time budget/);
    // Halving rounds: a fast machine scores all 8 on a sample and is stopped in a later round, so
    // only "some but not the whole plan" holds everywhere (stoppedEarly above).
    expect(r.configs.length).toBeGreaterThan(0);
    expect(r.notes.join('\n')).toContain(`after ${r.configs.length} config scores`);
    // What the search recorded: its seconds before the refit, within the deadline + 10 %.
    expect(r.searchSeconds - r.fitSeconds).toBeLessThan(3 * 1.1);
  });

  it('searches KNN on a stratified sample of at most KNN_MAX_ROWS rows and says so', async () => {
    const data = await dataset(900, 33);
    const family: Family = { kind: 'knn', grid: { nNeighbors: [3, 5] }, stageParam: 'nNeighbors', scale: true, maxRows: 300, lazy: true };
    const r = await searchFamily(family, data, new FoldCache(data, 3, 2), { seed: 2 });
    expect(r.notes).toEqual(['knn: searched and fitted on a stratified sample of 300 of 900 rows (its row cap)']);
    expect(r.refitRows).toBe(300);
    const state = (r.pipeline.toJSON().state as { model: { state: { counts: number[] } } }).model.state;
    // Each distinct kept row counts its training rows per class: 300 in all.
    expect(state.counts.reduce((a, b) => a + b, 0)).toBe(300);
    expect(KNN_MAX_ROWS).toBe(20_000);
  });

  it('bounds the model matrices: rounds and refit on stratified samples when rows x model columns exceed the memory cap', async () => {
    const data = await dataset(3000, 34);
    const family: Family = { kind: 'decision_tree', grid: { maxDepth: [4, 8] }, scale: false };
    const width = new FoldCache(data, 3, 2).get(1000, 0, false).Xtrain.cols;
    // Room for 1,500 rows of the model matrix: 500 a fold sample (3 folds cached), 1,500 for the refit.
    const r = await searchFamily(family, data, new FoldCache(data, 3, 2), { seed: 2, maxMatrixBytes: 4 * width * 1500 });
    expect(r.refitRows).toBe(1500);
    expect(r.configs.reduce((m, c) => Math.max(m, c.rows), 0)).toBe(500);
    expect(r.notes).toContain(`decision_tree: ${width} model columns, so searched on at most 500 and refitted on at most 1,500 rows (memory cap)`);
    expect(r.notes).toContain('decision_tree: refit on a stratified sample of 1,500 of 3,000 rows (memory cap)');
    // Without the cap: every row.
    const all = await searchFamily(family, data, new FoldCache(data, 3, 2), { seed: 2 });
    expect(all.refitRows).toBe(3000);
  });
});
