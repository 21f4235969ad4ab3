import { describe, expect, it } from 'vitest';
import { DatasetSchema } from '../../../schema/index.js';
import type { Frame } from '../../data/frame.js';
import { matrix, type Matrix } from '../../data/matrix.js';
import { Rng } from '../../data/rng.js';
import { PipelineExplainer } from '../../explain/explainer.js';
import { Preprocessor } from '../../transform/preprocessor.js';
import { GradientBoosting, type GradientBoostingParams } from '../gradient-boosting.js';
import { Pipeline } from '../pipeline.js';
import type { Tree } from '../tree/tree-buffer.js';
import { exportXgboost, exportXgboostText, splitCondition } from './export-xgboost.js';
import { importXgboost } from './import-xgboost.js';

const COLS = 5;
const NAMES = Array.from({ length: COLS }, (_, j) => `f${j}`);

/** Rows mixing a few repeated values (ties at split points) with continuous ones; the label depends on three columns. */
function data(rows: number, classes: number, seed: number): { frame: Frame; y: Int32Array } {
  const rng = new Rng(seed);
  const cols = NAMES.map(() => new Float64Array(rows));
  const y = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < COLS; j++) cols[j][i] = j % 2 ? rng.int(3) - 1 : Math.fround(rng.normal());
    const s = cols[0][i] + cols[1][i] - 0.5 * cols[2][i] + 0.7 * rng.normal();
    y[i] = classes === 2 ? +(s > 0.2) : s < -0.7 ? 0 : s < 0.7 ? 1 : Math.min(classes - 1, 2 + +(cols[4][i] > 0.4));
  }
  return { frame: { nRows: rows, columns: NAMES.map((name, j) => ({ kind: 'numeric' as const, name, values: cols[j] })) }, y };
}

function schemaOf(classes: number) {
  const labels = Array.from({ length: classes }, (_, k) => `c${k}`);
  return DatasetSchema.parse({ name: 'export', features: NAMES.map((name) => ({ name, kind: 'numeric' })), label: { name: 'y', classes: labels, threat: [labels[0]] } });
}

async function fitted(classes: number, params: GradientBoostingParams) {
  const { frame, y } = data(3000, classes, 11 + classes);
  const pre = Preprocessor.forModel('gradient_boosting');
  const X = pre.fitTransform(frame);
  const model = new GradientBoosting({ maxIter: 25, maxLeafNodes: 15, minSamplesLeaf: 5, earlyStopping: false, seed: 3, ...params });
  await model.fit(X, y, { nClasses: classes });
  const labels = Array.from({ length: classes }, (_, k) => `c${k}`);
  return { model, X, pipeline: new Pipeline(pre, model, labels, 0) };
}

/** Test rows: fresh rows, plus rows sitting exactly on every threshold and on the float32 either side of it, some with NaN. */
function probeRows(model: GradientBoosting, withNaN: boolean): Matrix {
  const fresh = new Preprocessor({ impute: false }).fitTransform(data(400, 2, 99).frame);
  const trees = (model.toJSON().state as { trees: Tree[] }).trees;
  const at: number[][] = NAMES.map(() => []);
  for (const t of trees) t.feature.forEach((f, i) => f >= 0 && at[f].push(Math.fround(t.threshold[i])));
  const rng = new Rng(5);
  const extra = 600;
  const rows = fresh.rows + extra;
  const out = new Float32Array(rows * COLS);
  out.set(fresh.data);
  for (let r = fresh.rows; r < rows; r++) {
    for (let j = 0; j < COLS; j++) {
      const v = at[j].length ? at[j][rng.int(at[j].length)] : 0;
      const step = rng.int(3) - 1;
      out[r * COLS + j] = withNaN && rng.next() < 0.1 ? NaN : step === 0 ? v : nextFloat32(v, step);
    }
  }
  return matrix(rows, COLS, out);
}

function nextFloat32(v: number, dir: number): number {
  const f = new Float32Array([v]);
  const bits = new Int32Array(f.buffer);
  if (v === 0) return dir * 1.401298464324817e-45;
  bits[0] += v > 0 === dir > 0 ? 1 : -1;
  return f[0];
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
};

/** Our model with its leaves as the export writes them: the baseline moved into each class's first tree, every leaf rounded to float32. */
function float32Twin(model: GradientBoosting): GradientBoosting {
  const json = structuredClone(model.toJSON());
  const s = json.state as { nClasses: number; baseline: number[]; trees: Tree[]; multiOutput?: boolean };
  const D = s.nClasses === 2 ? 1 : s.nClasses;
  const base = D === 1 ? 0 : 0.5;
  s.trees.forEach((t, i) => {
    const width = s.multiOutput ? D : 1;
    t.feature.forEach((f, n) => {
      if (f >= 0) return;
      for (let k = 0; k < width; k++) {
        const cls = s.multiOutput ? k : i % D;
        const first = s.multiOutput ? i === 0 : i === cls;
        t.value[n * width + k] = Math.fround(t.value[n * width + k] + (first ? s.baseline[cls] - base : 0));
      }
    });
  });
  s.baseline = s.baseline.map(() => base);
  return GradientBoosting.fromJSON(json);
}

const cases: [string, number, GradientBoostingParams][] = [
  ['binary', 2, {}],
  ['3-class, one tree per class a round', 3, { multiStrategy: 'one_per_class' }],
  ['4-class, multi-output trees', 4, { multiStrategy: 'multi_output' }],
];

describe('exportXgboost', () => {
  for (const [name, classes, params] of cases) {
    it(`round-trips a ${name} model through importXgboost: the same probabilities (1e-6), rows on thresholds and NaN included`, async () => {
      const { model } = await fitted(classes, params);
      const text = exportXgboostText(model, { featureNames: NAMES });
      const imported = importXgboost(text, schemaOf(classes));
      const X = probeRows(model, true);
      expect(maxAbsDiff(imported.model.predictProba(X), model.predictProba(X))).toBeLessThan(1e-6);
      // Against the float32 twin the export is exact: the split tests agree on every probe row.
      expect(maxAbsDiff(imported.model.predictProba(X), float32Twin(model).predictProba(X))).toBeLessThan(1e-12);
    });

    it(`gives the ${name} model's TreeSHAP contributions and base values after the round trip`, async () => {
      const { model, pipeline } = await fitted(classes, params);
      const imported = importXgboost(exportXgboostText(model, { featureNames: NAMES }), schemaOf(classes)).pipeline;
      const twin = new Pipeline(pipeline.preprocessor, float32Twin(model), pipeline.classes, 0);
      // Our boosting's explainer routes NaN right while its Forest sends NaN left: rows without NaN here.
      const X = probeRows(model, false);
      for (let k = 0; k < (classes === 2 ? 1 : classes); k++) {
        const classOf = new Int32Array(X.rows).fill(classes === 2 ? 1 : k);
        const ours = PipelineExplainer.for(pipeline).explainMatrix(X, classOf);
        const back = PipelineExplainer.for(imported).explainMatrix(X, classOf);
        const exact = PipelineExplainer.for(twin).explainMatrix(X, classOf);
        expect(back.features).toEqual(ours.features);
        // Float32 leaves move contributions by ~1e-8 of their size.
        expect(maxAbsDiff(back.phi, ours.phi)).toBeLessThan(1e-6);
        expect(maxAbsDiff(back.base, ours.base)).toBeLessThan(1e-6);
        expect(maxAbsDiff(back.phi, exact.phi)).toBeLessThan(1e-9);
        expect(maxAbsDiff(back.base, exact.base)).toBeLessThan(1e-9);
      }
    });
  }

  it('writes the layout XGBoost reads: string parameters, one tree per class a round, parents and default directions', async () => {
    const { model } = await fitted(3, { multiStrategy: 'multi_output', maxIter: 4 });
    const out = exportXgboost(model);
    const { learner } = out;
    expect(learner.objective).toEqual({ name: 'multi:softprob', softmax_multiclass_param: { num_class: '3' } });
    // Without feature names, num_feature is 1 + the highest column split on.
    const highest = learner.gradient_booster.model.trees.reduce((m, t) => t.split_indices.reduce((a, f, i) => (t.left_children[i] >= 0 ? Math.max(a, f) : a), m), 0);
    expect(learner.learner_model_param).toMatchObject({ base_score: '0.5', num_class: '3', num_feature: String(highest + 1) });
    expect(learner.feature_names).toEqual([]);
    expect(learner.gradient_booster.model.tree_info).toEqual([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2]);
    const t = learner.gradient_booster.model.trees[1];
    expect(t.id).toBe(1);
    expect(t.parents[0]).toBe(2147483647);
    t.left_children.forEach((l, i) => {
      if (l < 0) return expect(t.right_children[i]).toBe(-1);
      expect(t.right_children[i]).toBe(l + 1);
      expect(t.parents[l]).toBe(i);
      expect(t.default_left[i]).toBe(1);
    });
  });

  it('spells every number of the float arrays as a float (XGBoost refuses 0 where it reads a float) and keeps the rest as JSON', async () => {
    const { model } = await fitted(2, { maxIter: 3 });
    const text = exportXgboostText(model, { featureNames: NAMES });
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(exportXgboost(model, { featureNames: NAMES }))));
    for (const key of ['base_weights', 'loss_changes', 'split_conditions', 'sum_hessian']) {
      const arrays = Array.from(text.matchAll(new RegExp(`"${key}":\\[([^\\]]*)\\]`, 'g')), (m) => m[1].split(','));
      expect(arrays.length).toBe(3);
      for (const numbers of arrays) for (const n of numbers) expect(n).toMatch(/[.eE]/);
    }
    expect(text).toContain('"left_children":[1,');
    expect(text).not.toContain('\\u0000');
  });

  it('picks split conditions so that x < c exactly when x <= threshold for float32 x', () => {
    const rng = new Rng(1);
    for (let k = 0; k < 2000; k++) {
      const t = k % 3 ? rng.normal() * 10 ** rng.int(6) : Math.fround(rng.normal());
      const c = splitCondition(t);
      expect(c).toBe(Math.fround(c));
      const x = Math.fround(t);
      for (const v of [x, nextFloat32(x, 1), nextFloat32(x, -1), c, nextFloat32(c, -1)]) expect(v < c).toBe(v <= t);
    }
    expect(splitCondition(0)).toBe(1.401298464324817e-45);
    expect(splitCondition(-1e-50)).toBe(0);
  });

  it('refuses categorical splits and too few feature names, saying why', async () => {
    const rows = 600;
    const rng = new Rng(2);
    const codes = Int32Array.from({ length: rows }, () => rng.int(4));
    const y = Int32Array.from(codes, (c) => +(c === 1 || c === 3));
    const X = matrix(rows, 1, Float32Array.from(codes));
    const model = new GradientBoosting({ maxIter: 3, earlyStopping: false, minSamplesLeaf: 5 });
    await model.fit(X, y, { nClasses: 2, categorical: [{ column: 0, categories: 4 }] });
    expect(() => exportXgboost(model)).toThrow(/tree 0 node 0 splits column 0 on a category set; only numeric splits are exported/);
    const numeric = (await fitted(2, { maxIter: 3 })).model;
    expect(() => exportXgboost(numeric, { featureNames: ['a'] })).toThrow(/the trees split column \d, but only 1 feature names were given/);
  });
});
