import { describe, expect, it } from 'vitest';
import { phishingSplit } from '../../bench/lib/phishing-split.js';
import { readCsvText, schemaOf } from '../../test/helpers/datasets.js';
import { attackDataset } from '../../test/helpers/synthetic.js';
import { sliceRows, type Dataset } from '../data/frame.js';
import type { Matrix } from '../data/matrix.js';
import { LogisticRegression } from '../models/logistic-regression.js';
import { Pipeline } from '../models/pipeline.js';
import { createModel } from '../models/registry.js';
import { Forest } from '../models/tree/forest.js';
import type { Tree } from '../models/tree/tree-buffer.js';
import { Preprocessor } from '../transform/preprocessor.js';
import { ExplainError, PipelineExplainer, type ExplainedRows } from './explainer.js';
import { explanationOf, frameColumnsOf } from './explanation.js';

async function fitted(kind: string, params: Record<string, unknown>, train: Dataset, pre = Preprocessor.forModel(kind)): Promise<Pipeline> {
  const X = pre.fitTransform(train.features);
  const model = createModel(kind, params);
  await model.fit(X, train.labels, { nClasses: train.classes.length, categorical: pre.options.nativeCategoricals ? pre.categoricalFeatures : [] });
  return new Pipeline(pre, model, train.classes, train.positiveClass);
}

/** Boosting's raw scores (rows x D) walked by the scoring forest itself, plus the baseline. */
function boostingMargins(p: Pipeline, X: Matrix): { raw: Float64Array; D: number } {
  const s = p.model.toJSON().state as { nClasses: number; baseline: number[]; trees: Tree[]; multiOutput?: boolean };
  const D = s.nClasses === 2 ? 1 : s.nClasses;
  const forest = s.multiOutput ? new Forest(s.trees, D, new Int32Array(s.trees.length)) : new Forest(s.trees, 1, Int32Array.from(s.trees, (_, t) => t % D));
  const raw = new Float64Array(X.rows * D);
  for (let i = 0; i < X.rows; i++) for (let d = 0; d < D; d++) raw[i * D + d] = s.baseline[d];
  forest.accumulate(X, raw, D);
  return { raw, D };
}

/** Largest |base + sum(phi) - output| over the rows. */
function worstGap(e: ExplainedRows, output: (i: number, c: number) => number): number {
  const F = e.features.length;
  let worst = 0;
  for (let i = 0; i < e.base.length; i++) {
    let s = e.base[i];
    for (let j = 0; j < F; j++) s += e.phi[i * F + j];
    worst = Math.max(worst, Math.abs(s - output(i, e.classOf[i])));
  }
  return worst;
}

describe('PipelineExplainer on the phishing split', async () => {
  const { train, test } = await phishingSplit();
  for (const [kind, params] of [
    ['decision_tree', { maxDepth: 8 }],
    ['random_forest', { nEstimators: 20, maxDepth: 10 }],
  ] as const) {
    it(`${kind}: base + contributions = probability of the threat class on every test row, to 1e-9`, async () => {
      const p = await fitted(kind, params, train);
      const proba = p.predictProba(test.features);
      const e = PipelineExplainer.for(p).explain(test.features, proba);
      expect(e.output).toBe('probability');
      expect(e.features).toHaveLength(30);
      expect(Array.from(new Set(e.classOf))).toEqual([test.positiveClass]);
      expect(worstGap(e, (i, c) => proba[i * 2 + c])).toBeLessThan(1e-9);
    });
  }

  it('gradient_boosting: base + contributions = the threat class log-odds on every test row, to 1e-9', async () => {
    const p = await fitted('gradient_boosting', { maxIter: 100, maxLeafNodes: 31 }, train);
    const proba = p.predictProba(test.features);
    const e = PipelineExplainer.for(p).explain(test.features, proba);
    expect(e.output).toBe('margin');
    const { raw } = boostingMargins(p, p.preprocessor.transform(test.features));
    // The margin is class 1's log-odds; the threat class (-1) is class 0 here: its margin is the negation.
    expect(test.positiveClass).toBe(0);
    expect(worstGap(e, (i, c) => (c === 1 ? raw[i] : -raw[i]))).toBeLessThan(1e-9);
    const some = e.phi.some((v) => Math.abs(v) > 0.1);
    expect(some).toBe(true);
  });
});

describe('PipelineExplainer with categorical features and three classes', async () => {
  const { csv, schema } = attackDataset(1500, 3);
  const { dataset } = await readCsvText(csv, schemaOf(schema));

  for (const multiStrategy of ['one_per_class', 'multi_output'] as const) {
    it(`gradient_boosting (${multiStrategy}, native categoricals): explains the predicted class's margin, folded to the 4 features`, async () => {
      const p = await fitted('gradient_boosting', { maxIter: 20, multiStrategy }, dataset);
      expect(p.preprocessor.categoricalFeatures.length).toBeGreaterThan(0);
      const proba = p.predictProba(dataset.features);
      const e = PipelineExplainer.for(p).explain(dataset.features, proba);
      expect(e.features).toEqual(['bytes', 'duration', 'protocol', 'service']);
      const { raw, D } = boostingMargins(p, p.preprocessor.transform(dataset.features));
      expect(worstGap(e, (i, c) => raw[i * D + c])).toBeLessThan(1e-9);
      // Predicted classes: all three appear.
      expect(new Set(e.classOf).size).toBe(3);
    });
  }

  it('explainEach: frames explained together (rows of three classes interleaved, blocks across frames) equal each explained alone', async () => {
    const p = await fitted('gradient_boosting', { maxIter: 10 }, dataset);
    const ex = PipelineExplainer.for(p);
    const frames = [sliceRows(dataset.features, 0, 1), sliceRows(dataset.features, 1, 150), sliceRows(dataset.features, 150, 151)];
    const probas = frames.map((f) => p.predictProba(f));
    const together = ex.explainEach(frames, probas);
    frames.forEach((f, k) => {
      const alone = ex.explain(f, probas[k]);
      expect(Array.from(together[k].classOf)).toEqual(Array.from(alone.classOf));
      expect(Array.from(together[k].base)).toEqual(Array.from(alone.base));
      expect(together[k].phi).toHaveLength(alone.phi.length);
      for (let i = 0; i < alone.phi.length; i++) expect(Math.abs(together[k].phi[i] - alone.phi[i])).toBeLessThan(1e-12);
    });
    expect(new Set(together[1].classOf).size).toBe(3);
  });

  it('random_forest with one-hot columns: the indicator columns fold into their feature', async () => {
    const pre = new Preprocessor({ nativeCategoricals: false });
    const p = await fitted('random_forest', { nEstimators: 10 }, dataset, pre);
    expect(pre.outputNames.length).toBeGreaterThan(4);
    const proba = p.predictProba(dataset.features);
    const e = PipelineExplainer.for(p).explain(dataset.features, proba);
    expect(e.features).toEqual(['bytes', 'duration', 'protocol', 'service']);
    expect(worstGap(e, (i, c) => proba[i * 3 + c])).toBeLessThan(1e-9);
    expect(e.phi.filter((_, k) => k % 4 === 2).some((v) => v !== 0)).toBe(true);
  });

  it('logistic_regression: linear SHAP in the margin, w.r.t. the training means', async () => {
    const p = await fitted('logistic_regression', {}, dataset, new Preprocessor({ scale: true }));
    const X = p.preprocessor.transform(dataset.features);
    const t = (p.model as LogisticRegression).linearTerms;
    const proba = p.predictProba(dataset.features);
    const e = PipelineExplainer.for(p).explain(dataset.features, proba);
    expect(e.output).toBe('margin');
    const margin = (i: number, c: number) => {
      let z = t.bias[c];
      for (let j = 0; j < t.cols; j++) z += t.weights[j * t.D + c] * X.data[i * X.cols + j];
      return z;
    };
    expect(worstGap(e, margin)).toBeLessThan(1e-9);
  });

  it('answers the top k by |contribution| with the values the row had', async () => {
    const p = await fitted('random_forest', { nEstimators: 5 }, dataset);
    const proba = p.predictProba(dataset.features);
    const e = PipelineExplainer.for(p).explain(dataset.features, proba);
    const x = explanationOf(e, 7, dataset.features, frameColumnsOf(dataset.features, e.features), dataset.classes, 2);
    expect(x.contributions).toHaveLength(2);
    expect(Math.abs(x.contributions[0].contribution)).toBeGreaterThanOrEqual(Math.abs(x.contributions[1].contribution));
    expect(x.outputValue).toBeCloseTo(proba[7 * 3 + dataset.classes.indexOf(x.class)], 9);
    const protocol = dataset.features.columns.find((c) => c.name === 'protocol')!;
    const shown = [...x.contributions, ...explanationOf(e, 7, dataset.features, frameColumnsOf(dataset.features, e.features), dataset.classes, 4).contributions].find((c) => c.feature === 'protocol')!;
    expect(protocol.kind === 'categorical' && shown.value).toBe(protocol.kind === 'categorical' ? protocol.categories[protocol.codes[7]] : '');
  });

  it('refuses MLP and KNN models by name, and tree models saved without covers', async () => {
    const knn = await fitted('knn', { nNeighbors: 3 }, dataset, new Preprocessor({ scale: true }));
    expect(() => PipelineExplainer.for(knn)).toThrow(ExplainError);
    expect(() => PipelineExplainer.for(knn)).toThrow(/knn models are not explained/);
    const tree = await fitted('decision_tree', { maxDepth: 3 }, dataset);
    const json = JSON.parse(JSON.stringify(tree.toJSON()));
    delete json.state.model.state.tree.cover;
    json.state.model.version = 1;
    const old = await Pipeline.fromJSON(json);
    expect(() => PipelineExplainer.for(old)).toThrow(/retrain it to explain/);
  });
});
