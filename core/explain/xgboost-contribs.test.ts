/**
 * Imported XGBoost models explained by our TreeSHAP against XGBoost's own pred_contribs=True, on
 * the committed fixtures (test/fixtures/xgboost/make_fixtures.py wrote both with XGBoost 1.7.4).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDatasetSchema } from '../../schema/index.js';
import { RecordEncoder } from '../data/record-encoder.js';
import { importXgboost } from '../models/xgboost/import-xgboost.js';
import { PipelineExplainer } from './explainer.js';

const DIR = 'test/fixtures/xgboost';

interface Cases {
  features: string[];
  rows: Record<string, number | string | null>[];
  contribs: number[][] | number[][][];
}

describe('explaining an imported XGBoost model', () => {
  for (const name of ['binary-phishing', 'multi-synthetic', 'binary-missing', 'binary-categorical']) {
    it(`gives XGBoost's pred_contribs to 1e-5 on ${name} (base value = its bias term)`, () => {
      const schema = parseDatasetSchema(readFileSync(`${DIR}/${name}/schema.yaml`, 'utf8'), name);
      const cases = JSON.parse(readFileSync(`${DIR}/${name}/cases.json`, 'utf8')) as Cases;
      const { pipeline } = importXgboost(readFileSync(`${DIR}/${name}/model.json`, 'utf8'), schema);
      const frame = new RecordEncoder(schema).encode(cases.rows).frame;
      const explainer = PipelineExplainer.for(pipeline);
      expect(explainer.output).toBe('margin');
      const X = pipeline.preprocessor.transform(frame);
      const K = pipeline.classes.length;
      const F = explainer.features.length;
      // XGBoost's columns in its feature order; ours in the explainer's.
      const at = cases.features.map((f) => explainer.features.indexOf(f));
      expect(at.every((j) => j >= 0)).toBe(true);
      let worst = 0;
      for (let k = 0; k < (K === 2 ? 1 : K); k++) {
        // Binary: XGBoost explains the margin of class 1.
        const explained = explainer.explainMatrix(X, new Int32Array(cases.rows.length).fill(K === 2 ? 1 : k));
        cases.rows.forEach((_, i) => {
          const want = K === 2 ? (cases.contribs as number[][])[i] : (cases.contribs as number[][][])[i][k];
          worst = Math.max(worst, Math.abs(explained.base[i] - want[want.length - 1]));
          at.forEach((j, f) => (worst = Math.max(worst, Math.abs(explained.phi[i * F + j] - want[f]))));
        });
      }
      expect(worst).toBeLessThan(1e-5);
    });
  }
});
