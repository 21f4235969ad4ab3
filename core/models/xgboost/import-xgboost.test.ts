import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDatasetSchema } from '../../../schema/index.js';
import { RecordEncoder } from '../../data/record-encoder.js';
import { DataError } from '../../errors.js';
import { Pipeline } from '../pipeline.js';
import { importXgboost } from './import-xgboost.js';
import { XgboostModel } from './xgboost-model.js';

const DIR = 'test/fixtures/xgboost';
const FIXTURES = ['binary-phishing', 'multi-synthetic', 'binary-missing', 'binary-categorical'];

interface Cases {
  features: string[];
  rows: Record<string, number | string | null>[];
  proba: number[][];
  /** pred_contribs=True: rows x (features + 1), or rows x classes x (features + 1); the last entry is the bias. */
  contribs: number[][] | number[][][];
}

function fixture(name: string) {
  const text = readFileSync(`${DIR}/${name}/model.json`, 'utf8');
  const schema = parseDatasetSchema(readFileSync(`${DIR}/${name}/schema.yaml`, 'utf8'), name);
  const cases = JSON.parse(readFileSync(`${DIR}/${name}/cases.json`, 'utf8')) as Cases;
  return { text, schema, cases };
}

function maxDiff(proba: Float64Array, expected: number[][]): number {
  const K = expected[0].length;
  let worst = 0;
  expected.forEach((row, i) => row.forEach((p, k) => (worst = Math.max(worst, Math.abs(proba[i * K + k] - p)))));
  return worst;
}

describe('importXgboost', () => {
  for (const name of FIXTURES) {
    it(`predicts XGBoost's predict_proba to 1e-6 on ${name}, also after a JSON round trip`, async () => {
      const { text, schema, cases } = fixture(name);
      const { pipeline } = importXgboost(text, schema);
      const encoded = new RecordEncoder(schema).encode(cases.rows);
      expect(encoded.keyIssues).toEqual([]);
      expect(encoded.valueIssues).toEqual([]);
      const proba = pipeline.predictProba(encoded.frame);
      expect(proba.length).toBe(cases.proba.length * cases.proba[0].length);
      expect(maxDiff(proba, cases.proba)).toBeLessThan(1e-6);
      const again = await Pipeline.fromJSON(JSON.parse(JSON.stringify(pipeline.toJSON())));
      expect(maxDiff(again.predictProba(encoded.frame), cases.proba)).toBeLessThan(1e-6);
    });
  }

  for (const name of FIXTURES) {
    it(`gives margins and a base value (root means) that match XGBoost's pred_contribs on ${name}`, () => {
      const { text, schema, cases } = fixture(name);
      const { model, pipeline } = importXgboost(text, schema);
      const X = pipeline.preprocessor.transform(new RecordEncoder(schema).encode(cases.rows).frame);
      const margin = model.predictMargin(X);
      const state = model.toJSON().state as { baseMargin: number; treeClass: number[]; nClasses: number };
      const K = state.nClasses === 2 ? 1 : state.nClasses;
      const perClass = (row: number, k: number) => (K === 1 ? (cases.contribs as number[][])[row] : (cases.contribs as number[][][])[row][k]);
      for (let k = 0; k < K; k++) {
        let bias = state.baseMargin;
        model.trees.forEach((t, i) => state.treeClass[i] === k && (bias += t.value[0]));
        expect(bias).toBeCloseTo(perClass(0, k).at(-1)!, 5);
        cases.rows.forEach((_, r) => expect(margin[r * K + k]).toBeCloseTo(perClass(r, k).reduce((a, b) => a + b, 0), 4));
      }
    });
  }

  it('scores rows with missing values through both default directions', () => {
    const { text, schema } = fixture('binary-missing');
    const { model } = importXgboost(text, schema);
    const dirs = new Set(model.trees.flatMap((t) => t.feature.flatMap((f, i) => (f >= 0 ? [t.defaultLeft![i]] : []))));
    expect(dirs).toEqual(new Set([true, false]));
    const cases = fixture('binary-missing').cases;
    expect(cases.rows.some((r) => Object.values(r).includes(null))).toBe(true);
  });

  it('keeps sum_hessian as cover and gives inner nodes the cover-weighted mean of their leaves', () => {
    const { text, schema } = fixture('binary-phishing');
    const { model } = importXgboost(text, schema);
    const t = model.trees[0];
    const raw = (JSON.parse(text) as { learner: { gradient_booster: { model: { trees: { sum_hessian: number[] }[] } } } }).learner.gradient_booster.model.trees[0];
    expect(t.cover![0]).toBe(raw.sum_hessian[0]);
    const l = t.left[0];
    expect(t.value[0]).toBeCloseTo((t.value[l] * t.cover![l] + t.value[l + 1] * t.cover![l + 1]) / t.cover![0], 12);
    t.left.forEach((child, i) => child >= 0 && expect(t.cover![child] + t.cover![child + 1]).toBeCloseTo(t.cover![i], 3));
  });

  it('maps features by name when the JSON names them, whatever the schema order', () => {
    const { text, schema, cases } = fixture('binary-missing');
    const shuffled = { ...schema, features: [...schema.features].reverse() };
    const { pipeline } = importXgboost(text, shuffled);
    const encoded = new RecordEncoder(shuffled).encode(cases.rows);
    expect(maxDiff(pipeline.predictProba(encoded.frame), cases.proba)).toBeLessThan(1e-6);
  });

  it('refuses a schema that lacks a model feature, naming it', () => {
    const { text, schema } = fixture('binary-missing');
    const renamed = { ...schema, features: schema.features.map((f) => (f.name === 'gamma' ? { ...f, name: 'gama' } : f)) };
    const err = (() => {
      try {
        importXgboost(text, renamed);
      } catch (e) {
        return e as DataError;
      }
    })();
    expect(err).toBeInstanceOf(DataError);
    expect(err?.message).toContain('model feature "gamma" is not a feature of the schema');
    expect(err?.column).toBe('features.gamma');
  });

  it('refuses a schema with a feature the model does not have, naming it', () => {
    const { text, schema } = fixture('binary-missing');
    const extra = { ...schema, features: [...schema.features, { name: 'epsilon', kind: 'numeric' as const, nullable: false, integer: false }] };
    expect(() => importXgboost(text, extra)).toThrow(/schema feature "epsilon" is not a feature of the model/);
  });

  it('refuses an unnamed model whose feature count differs from the schema', () => {
    const { text, schema } = fixture('multi-synthetic');
    const fewer = { ...schema, features: schema.features.slice(0, 4) };
    expect(() => importXgboost(text, fewer)).toThrow(/5 features and no feature_names, the schema 4/);
  });

  it('refuses a categorical model feature that the schema gives numbers', () => {
    const { text, schema } = fixture('binary-categorical');
    const numeric = { ...schema, features: schema.features.map((f) => (f.name === 'town' ? { name: 'town', kind: 'numeric' as const, nullable: true, integer: false } : f)) };
    expect(() => importXgboost(text, numeric)).toThrow(/feature "town" is categorical in the model but numeric in the schema/);
  });

  it('reads a categorical schema feature with encoding: ordinal as its code when the model saw codes as numbers', () => {
    const { text, schema } = fixture('multi-synthetic');
    const values = ['c0', 'c1', 'c2', 'c3'];
    const ordinal = { ...schema, features: schema.features.map((f, i) => (i === 0 ? { name: f.name, kind: 'categorical' as const, nullable: false, values, encoding: 'ordinal' as const, unknown: 'ignore' as const } : f)) };
    const rows = [-1, 0, 1, 2, 3].flatMap((code) => [0.5, -1.2].map((v) => ({ code, rest: { f1: v, f2: -v, f3: 0.3, f4: v * 2 } })));
    const asNumbers = importXgboost(text, schema).pipeline.predictProba(new RecordEncoder(schema).encode(rows.filter((r) => r.code >= 0).map((r) => ({ f0: r.code, ...r.rest }))).frame);
    const asCodes = importXgboost(text, ordinal).pipeline.predictProba(new RecordEncoder(ordinal).encode(rows.filter((r) => r.code >= 0).map((r) => ({ f0: values[r.code], ...r.rest }))).frame);
    expect(Array.from(asCodes)).toEqual(Array.from(asNumbers));
    const onehot = { ...ordinal, features: ordinal.features.map((f, i) => (i === 0 ? { ...f, encoding: 'onehot' as const } : f)) };
    expect(() => importXgboost(text, onehot)).toThrow(/feature "f0" is a number \(float\) in the model but categorical in the schema: give it encoding: ordinal/);
  });

  it('refuses a label whose class count differs from the model', () => {
    const { text, schema } = fixture('multi-synthetic');
    const two = { ...schema, label: { ...schema.label, classes: ['a', 'c'] } };
    expect(() => importXgboost(text, two)).toThrow(/the model predicts 3 classes, the schema's label lists 2/);
  });

  it('refuses unsupported objectives and text that is not a model', () => {
    const { text, schema } = fixture('binary-missing');
    expect(() => importXgboost(text.replace('"binary:logistic"', '"reg:squarederror"'), schema)).toThrow(/objective reg:squarederror is not supported/);
    expect(() => importXgboost('{"learner": 1}', schema)).toThrow(/not an XGBoost JSON model/);
    expect(() => importXgboost('not json', schema)).toThrow(/model: not JSON/);
  });

  it('uses only the rounds up to best_iteration when early stopping kept one', () => {
    const { text, schema, cases } = fixture('binary-missing');
    const json = JSON.parse(text) as { learner: { attributes: Record<string, string> } };
    json.learner.attributes = { ...json.learner.attributes, best_iteration: '4' };
    const { model } = importXgboost(JSON.stringify(json), schema);
    expect(model.trees.length).toBe(5);
    expect(cases.proba.length).toBeGreaterThan(0);
  });

  it('reads base_score written as a one-element vector (XGBoost 3)', () => {
    const { text, schema, cases } = fixture('binary-missing');
    const { pipeline } = importXgboost(text.replace('"base_score":"5E-1"', '"base_score":"[5E-1]"'), schema);
    expect(text).toContain('"base_score":"5E-1"');
    expect(maxDiff(pipeline.predictProba(new RecordEncoder(schema).encode(cases.rows).frame), cases.proba)).toBeLessThan(1e-6);
  });

  it('cannot be trained here', async () => {
    await expect(new XgboostModel().fit()).rejects.toThrow(/imported models are trained in XGBoost/);
  });
});
