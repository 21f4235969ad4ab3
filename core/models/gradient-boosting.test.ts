import { describe, expect, it } from 'vitest';
import type { Frame } from '../data/frame.js';
import { Rng } from '../data/rng.js';
import { rocAuc } from '../metrics/ranking.js';
import { Preprocessor } from '../transform/preprocessor.js';
import { GradientBoosting, type GradientBoostingParams } from './gradient-boosting.js';
import { Pipeline } from './pipeline.js';
import { loadModel } from './registry.js';
import { MIN_CATEGORY_ROWS } from './tree/binning.js';

/**
 * A frame where a set of categories matters: the label is 1 for a random half of `card`
 * categories (the same half for every seed; 10 % noise), plus one numeric column of noise. Category `rare` (the last) has
 * fewer than MIN_CATEGORY_ROWS rows.
 */
function categorySetData(rows: number, card: number, seed: number, classes = 2): { frame: Frame; y: Int32Array; rare: number } {
  const pick = new Rng(card);
  const inSet = Array.from({ length: card }, () => pick.next() < 0.5);
  const rng = new Rng(seed);
  const codes = new Int32Array(rows);
  const noise = new Float64Array(rows);
  const y = new Int32Array(rows);
  const rare = card - 1;
  for (let i = 0; i < rows; i++) {
    const c = i < MIN_CATEGORY_ROWS - 1 ? rare : rng.int(card - 1);
    codes[i] = c;
    noise[i] = rng.normal();
    const label = rng.next() < 0.1 ? rng.int(2) : +inSet[c];
    y[i] = classes === 2 ? label : label + (label && noise[i] > 0.5 ? 1 : 0);
  }
  const categories = Array.from({ length: card }, (_, c) => `v${c}`);
  return {
    frame: {
      nRows: rows,
      columns: [
        { kind: 'numeric', name: 'noise', values: noise },
        { kind: 'categorical', name: 'service', codes, categories },
      ],
    },
    y,
    rare,
  };
}

async function fitPipeline(frame: Frame, y: Int32Array, native: boolean, params: GradientBoostingParams, nClasses = 2) {
  const pre = new Preprocessor({ nativeCategoricals: native });
  const X = pre.fitTransform(frame);
  const model = new GradientBoosting(params);
  await model.fit(X, y, { nClasses, categorical: pre.categoricalFeatures });
  const classes = Array.from({ length: nClasses }, (_, k) => `c${k}`);
  return new Pipeline(pre, model, classes, 1);
}

function aucOf(pipeline: Pipeline, frame: Frame, y: Int32Array): number {
  const p = pipeline.predictProba(frame);
  return rocAuc(Array.from(y, (v) => v === 1), Float64Array.from(y, (_, i) => p[2 * i + 1]));
}

function withCodes(frame: Frame, codes: number[], categories?: string[]): Frame {
  const col = frame.columns[1];
  if (col.kind !== 'categorical') throw new Error('expected the categorical column second');
  return {
    nRows: codes.length,
    columns: [
      { kind: 'numeric', name: 'noise', values: new Float64Array(codes.length) },
      { kind: 'categorical', name: 'service', codes: Int32Array.from(codes), categories: categories ?? col.categories },
    ],
  };
}

const small: GradientBoostingParams = { maxIter: 8, maxDepth: 3, maxLeafNodes: 8, learningRate: 0.3, earlyStopping: false };

describe('gradient boosting with native categoricals', () => {
  const train = categorySetData(12_000, 60, 1);
  const test = categorySetData(4_000, 60, 2);

  it('splits on a category set: ROC-AUC at least one-hot, near the noise ceiling', async () => {
    const native = await fitPipeline(train.frame, train.y, true, small);
    const onehot = await fitPipeline(train.frame, train.y, false, small);
    const nativeAuc = aucOf(native, test.frame, test.y);
    const onehotAuc = aucOf(onehot, test.frame, test.y);
    expect(native.preprocessor.outputNames).toEqual(['noise', 'service']);
    expect(nativeAuc).toBeGreaterThanOrEqual(onehotAuc);
    // 10 % of labels are coin flips: a perfect set split scores about 0.95 (ordinal codes split as numbers: 0.93).
    expect(nativeAuc).toBeGreaterThan(0.94);
  });

  it('round-trips a forest with categorical nodes through JSON and Pipeline.fromJSON', async () => {
    const pipeline = await fitPipeline(train.frame, train.y, true, small);
    const json = JSON.parse(JSON.stringify(pipeline.toJSON()));
    const trees = json.state.model.state.trees as { categories?: unknown[] }[];
    expect(trees.some((t) => t.categories?.some((c) => c !== null))).toBe(true);
    const again = await Pipeline.fromJSON(json);
    expect(again.predictProba(test.frame)).toEqual(pipeline.predictProba(test.frame));
    const model = (await loadModel(json.state.model)) as GradientBoosting;
    expect(model.roundsUsed).toBe(8);
  });

  it('scores an unseen category like the rare ones, and a missing one deterministically', async () => {
    const pipeline = await fitPipeline(train.frame, train.y, true, small);
    // -2 is how a serving frame marks a category outside the schema; 'zzz' is one outside the fitted dictionary.
    const unseen = pipeline.predictProba(withCodes(train.frame, [-2]));
    const foreign = pipeline.predictProba(withCodes(train.frame, [0], ['zzz']));
    const rare = pipeline.predictProba(withCodes(train.frame, [train.rare]));
    const missing = pipeline.predictProba(withCodes(train.frame, [-1, -1]));
    expect(Number.isFinite(unseen[1])).toBe(true);
    expect(unseen[0] + unseen[1]).toBeCloseTo(1, 12);
    expect(foreign).toEqual(unseen);
    expect(rare).toEqual(unseen);
    expect(missing[1]).toBe(missing[3]);
  });

  it('fits three classes with native categoricals', async () => {
    const data = categorySetData(6_000, 20, 3, 3);
    const pipeline = await fitPipeline(data.frame, data.y, true, small, 3);
    const p = pipeline.predictProba(data.frame);
    let correct = 0;
    for (let i = 0; i < data.y.length; i++) {
      const row = [p[3 * i], p[3 * i + 1], p[3 * i + 2]];
      if (row.indexOf(Math.max(row[0], row[1], row[2])) === data.y[i]) correct++;
    }
    expect(correct / data.y.length).toBeGreaterThan(0.8);
  });

  it('reads a model saved before categorical splits existed', async () => {
    const old = {
      kind: 'gradient_boosting',
      version: 1,
      params: { maxIter: 1 },
      state: { nClasses: 2, baseline: [0], trees: [{ feature: [0, -1, -1], threshold: [0.5, 0, 0], left: [1, -1, -1], value: [0, -1, 1] }] },
    };
    const model = (await loadModel(old)) as GradientBoosting;
    const p = model.predictProba({ data: Float32Array.from([0, 1]), rows: 2, cols: 1 });
    expect(p[1]).toBeCloseTo(1 / (1 + Math.E), 12);
    expect(p[3]).toBeCloseTo(1 / (1 + Math.exp(-1)), 12);
    expect(model.roundsUsed).toBe(1);
  });
});

describe('gradient boosting sampling and early stopping', () => {
  const data = categorySetData(15_000, 30, 4);
  const pre = new Preprocessor({ nativeCategoricals: true });
  const X = pre.fitTransform(data.frame);
  const fit = async (params: GradientBoostingParams) => {
    const m = new GradientBoosting({ maxIter: 20, maxDepth: 4, ...params });
    await m.fit(X, data.y, { nClasses: 2, categorical: pre.categoricalFeatures });
    return m;
  };

  it('subsamples rows and columns from the seed: same seed same model, another seed another', async () => {
    const params = { subsample: 0.5, colsampleByTree: 0.5, earlyStopping: false } as const;
    const a = JSON.stringify((await fit({ ...params, seed: 1 })).toJSON());
    const b = JSON.stringify((await fit({ ...params, seed: 1 })).toJSON());
    const c = JSON.stringify((await fit({ ...params, seed: 2 })).toJSON());
    const full = JSON.stringify((await fit({ earlyStopping: false, seed: 1 })).toJSON());
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    expect(a).not.toBe(full);
  });

  it('stops early on the validation share when auto and rows > 10,000, deterministically, staged scores still working', async () => {
    const params = { maxIter: 400, learningRate: 0.5, earlyStopping: 'auto' } as const;
    const a = await fit(params);
    const b = await fit(params);
    expect(a.roundsUsed).toBeLessThan(400);
    expect(a.roundsUsed).toBeGreaterThan(1);
    expect(JSON.stringify(a.toJSON())).toBe(JSON.stringify(b.toJSON()));
    const [first, last, beyond] = a.predictProbaStaged(X, [1, a.roundsUsed, 400]);
    expect(last).toEqual(a.predictProba(X));
    expect(beyond).toEqual(last);
    expect(first).not.toEqual(last);
    const off = await fit({ ...params, maxIter: 30, earlyStopping: false });
    expect(off.roundsUsed).toBe(30);
  });

  it('rejects a categorical column outside the matrix, naming it', async () => {
    const m = new GradientBoosting({ maxIter: 1 });
    await expect(m.fit(X, data.y, { nClasses: 2, categorical: [{ column: 5, categories: 3 }] })).rejects.toThrow(/categorical column 5/);
  });
});

describe('multi-class gradient boosting, one tree per class or multi-output', () => {
  /** Five classes from a rule on two numeric columns and a 12-value categorical, 10 % noise, plus a noise column. */
  function fiveClasses(rows: number, seed: number): { frame: Frame; y: Int32Array } {
    const rng = new Rng(seed);
    const a = new Float64Array(rows);
    const b = new Float64Array(rows);
    const noise = new Float64Array(rows);
    const codes = new Int32Array(rows);
    const y = new Int32Array(rows);
    for (let i = 0; i < rows; i++) {
      a[i] = rng.normal();
      b[i] = rng.normal();
      noise[i] = rng.normal();
      codes[i] = rng.int(12);
      const score = a[i] + 0.5 * b[i] + (codes[i] % 3 === 0 ? 1 : 0);
      y[i] = rng.next() < 0.1 ? rng.int(5) : score < -1 ? 0 : score < 0 ? 1 : score < 0.8 ? 2 : codes[i] % 2 ? 3 : 4;
    }
    const categories = Array.from({ length: 12 }, (_, c) => `s${c}`);
    return {
      frame: {
        nRows: rows,
        columns: [
          { kind: 'numeric', name: 'a', values: a },
          { kind: 'numeric', name: 'b', values: b },
          { kind: 'numeric', name: 'noise', values: noise },
          { kind: 'categorical', name: 'service', codes, categories },
        ],
      },
      y,
    };
  }
  const train = fiveClasses(20_000, 5);
  const test = fiveClasses(5_000, 6);
  const params: GradientBoostingParams = { maxIter: 30, maxDepth: 4, maxLeafNodes: 16, learningRate: 0.3, earlyStopping: false };
  const accuracy = (pipeline: Pipeline) => {
    const p = pipeline.predictProba(test.frame);
    let correct = 0;
    for (let i = 0; i < test.y.length; i++) {
      let best = 0;
      for (let k = 1; k < 5; k++) if (p[5 * i + k] > p[5 * i + best]) best = k;
      if (best === test.y[i]) correct++;
    }
    return correct / test.y.length;
  };

  it('multi-output trees (one a round) score within half a point of one tree per class at the defaults', async () => {
    // Measured on this set: 0.8968 against 0.8972 at the defaults; 0.8714 against 0.8858 at the
    // small trees of `params` (K-value leaves share 16 leaves among 5 classes). On the 100k x 10
    // benchmark set multi-output scored higher (see GradientBoostingParams.multiStrategy).
    const defaults: GradientBoostingParams = { earlyStopping: false };
    const perClass = await fitPipeline(train.frame, train.y, true, { ...defaults, multiStrategy: 'one_per_class' }, 5);
    const multi = await fitPipeline(train.frame, train.y, true, { ...defaults, multiStrategy: 'multi_output' }, 5);
    const json = multi.toJSON() as { state: { model: { state: { trees: unknown[]; multiOutput?: boolean } } } };
    expect(json.state.model.state.trees).toHaveLength(100);
    expect(json.state.model.state.multiOutput).toBe(true);
    const [accPerClass, accMulti] = [accuracy(perClass), accuracy(multi)];
    // The noise ceiling is about 0.92 (10 % of labels drawn at random).
    expect(accPerClass).toBeGreaterThan(0.88);
    expect(accMulti).toBeGreaterThan(accPerClass - 0.005);
  }, 180_000);

  it('round-trips a multi-output model through JSON, staged scores counting rounds', async () => {
    const pipeline = await fitPipeline(train.frame, train.y, true, { ...params, multiStrategy: 'multi_output' }, 5);
    const json = JSON.parse(JSON.stringify(pipeline.toJSON()));
    const again = await Pipeline.fromJSON(json);
    expect(again.predictProba(test.frame)).toEqual(pipeline.predictProba(test.frame));
    const model = (await loadModel(json.state.model)) as GradientBoosting;
    expect(model.roundsUsed).toBe(30);
    const X = pipeline.preprocessor.transform(test.frame);
    const [five, all] = model.predictProbaStaged(X, [5, 30]);
    expect(all).toEqual(model.predictProba(X));
    expect(five).not.toEqual(all);
  });

  it('reads a multi-class model saved before multi-output trees existed (one tree per class a round)', async () => {
    const stump = (lo: number, hi: number) => ({ feature: [0, -1, -1], threshold: [0.5, 0, 0], left: [1, -1, -1], value: [0, lo, hi] });
    const old = {
      kind: 'gradient_boosting',
      version: 1,
      params: { maxIter: 1 },
      state: { nClasses: 3, baseline: [0, 0, 0], trees: [stump(1, 0), stump(0, 1), stump(0, 0)] },
    };
    const model = (await loadModel(old)) as GradientBoosting;
    expect(model.roundsUsed).toBe(1);
    const p = model.predictProba({ data: Float32Array.from([0, 1]), rows: 2, cols: 1 });
    const e = Math.E;
    const want = [e / (e + 2), 1 / (e + 2), 1 / (e + 2), 1 / (e + 2), e / (e + 2), 1 / (e + 2)];
    want.forEach((v, i) => expect(p[i]).toBeCloseTo(v, 12));
  });
});

