import { describe, expect, it } from 'vitest';
import type { Dataset } from '../data/frame.js';
import { allRowsOf, concatDatasets, feedbackSplit, groupedSplit, sourceRowsToKeep, withFeedback } from './feedback-split.js';

/** Rows (x, colour, label) as a dataset. */
function dataset(rows: [number, string, string][]): Dataset {
  const categories = ['red', 'blue'];
  const classes = ['ok', 'bad'];
  return {
    features: {
      nRows: rows.length,
      columns: [
        { kind: 'numeric', name: 'x', values: Float64Array.from(rows, (r) => r[0]) },
        { kind: 'categorical', name: 'colour', codes: Int32Array.from(rows, (r) => categories.indexOf(r[1])), categories },
      ],
    },
    labels: Int32Array.from(rows, (r) => classes.indexOf(r[2])),
    classes,
    positiveClass: 1,
  };
}

describe('feedback rows in a run', () => {
  it('replace the source rows whose features they share (the newer label wins) and come last', () => {
    const source = dataset([[1, 'red', 'ok'], [2, 'red', 'ok'], [1, 'red', 'ok'], [1, 'blue', 'ok']]);
    const feedback = dataset([[1, 'red', 'bad'], [3, 'blue', 'bad']]);
    const { dataset: d, superseded } = withFeedback(source, feedback);
    expect(superseded).toBe(2);
    expect(d.features.nRows).toBe(4);
    expect(Array.from((d.features.columns[0] as { values: Float64Array }).values)).toEqual([2, 1, 1, 3]);
    expect(Array.from((d.features.columns[1] as { codes: Int32Array }).codes)).toEqual([0, 1, 0, 1]);
    expect(Array.from(d.labels)).toEqual([0, 0, 1, 1]);
  });

  it('refuse to join rows of another layout', () => {
    const other = dataset([[1, 'red', 'ok']]);
    other.features.columns[1] = { ...(other.features.columns[1] as { kind: 'categorical'; name: string; codes: Int32Array; categories: string[] }), categories: ['blue', 'red'] };
    expect(() => concatDatasets(dataset([[1, 'red', 'ok']]), other)).toThrow(/differ in column colour/);
  });

  it('leave room for the configured share by sampling the source, never below one row', () => {
    expect(sourceRowsToKeep(0.5, 8000, 800)).toBe(800);
    expect(sourceRowsToKeep(0.75, 8000, 900)).toBe(300);
    expect(sourceRowsToKeep(0, 8000, 800)).toBe(8000);
    expect(sourceRowsToKeep(0.5, 100, 1000)).toBe(100);
  });

  it('hold the whole test split (about testSize of each class, equal features together); the rest trains beside a stratified sample of the source', () => {
    // 100 source rows, then 50 feedback rows: 25 inputs, each twice, one in five labelled bad.
    const rows: [number, string, string][] = Array.from({ length: 150 }, (_, i) => (i < 100 ? [i, 'red', i % 2 ? 'bad' : 'ok'] : [1000 + ((i - 100) >> 1), 'blue', ((i - 100) >> 1) % 5 === 0 ? 'bad' : 'ok']));
    const data = dataset(rows);
    const s = feedbackSplit(data, 50, 0.5, 0.2, 7);
    expect(s.test.length).toBe(10);
    for (const i of s.test) expect(i).toBeGreaterThanOrEqual(100);
    expect(Array.from(s.test).filter((i) => data.labels[i] === 1).length).toBe(2);
    const x = (i: number) => (data.features.columns[0] as { values: Float64Array }).values[i];
    const testInputs = new Set(Array.from(s.test, x));
    expect(testInputs.size).toBe(5);
    expect(s.sourceTrainRows).toBe(40);
    expect(s.train.length).toBe(80);
    expect(new Set(s.train).size).toBe(80);
    const source = Array.from(s.train).filter((i) => i < 100);
    expect(source.length).toBe(40);
    expect(source.filter((i) => data.labels[i] === 1).length).toBe(20);
    for (const i of s.train) expect(testInputs.has(x(i))).toBe(false);
    // Seeded: the same split again; a refit on all rows keeps the same source rows.
    expect(Array.from(feedbackSplit(data, 50, 0.5, 0.2, 7).train)).toEqual(Array.from(s.train));
    const all = allRowsOf(data, 50, s.sourceTrainRows, 7);
    expect(Array.from(all).filter((i) => i < 100).sort((a, b) => a - b)).toEqual(source.sort((a, b) => a - b));
    expect(all.length).toBe(90);
    // Share 0: every source row.
    expect(feedbackSplit(data, 50, 0, 0.2, 7).sourceTrainRows).toBe(100);
  });

  it('split groups of equal rows whole, about testSize of each class', () => {
    const hashes = Float64Array.from({ length: 1000 }, (_, i) => i % 400);
    const labels = Int32Array.from({ length: 1000 }, (_, i) => (i % 400 < 100 ? 1 : 0));
    const { train, test } = groupedSplit(hashes, labels, 0.2, 3);
    expect(train.length + test.length).toBe(1000);
    const testGroups = new Set(Array.from(test, (i) => hashes[i]));
    for (const i of train) expect(testGroups.has(hashes[i])).toBe(false);
    const bad = Array.from(test).filter((i) => labels[i] === 1).length;
    expect(bad / test.length).toBeCloseTo(0.25, 1);
    expect(test.length).toBeGreaterThanOrEqual(190);
    expect(test.length).toBeLessThanOrEqual(210);
  });

});
