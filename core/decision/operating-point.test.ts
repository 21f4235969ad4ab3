import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunSpec } from '../../schema/jobs.js';
import { parseRunConfig, RunConfigError } from '../../schema/run-config.js';
import { parseDatasetSchema } from '../../schema/index.js';
import { attackDataset } from '../../test/helpers/synthetic.js';
import { CsvFileSource } from '../adapters/csv-file-source.js';
import { LocalArtifactStore } from '../adapters/local-artifact-store.js';
import { decodeDataset } from '../artifacts/dataset-codec.js';
import { getJson } from '../artifacts/json.js';
import { threatIndices, threatOutcomes, threatScores } from '../calibration/threat-score.js';
import { Pipeline } from '../models/pipeline.js';
import { runKeys } from '../pipeline/run-keys.js';
import { runLocally } from '../pipeline/run-locally.js';
import type { StageDeps } from '../pipeline/stage-deps.js';
import { ArtifactRegistry } from '../registry/artifact-registry.js';
import { confusionAt } from '../metrics/threat-curves.js';
import type { OperatingPointCurves } from './operating-point.js';

describe('operating point chosen at training', () => {
  let dir: string;
  let deps: StageDeps;
  const { csv, schema } = attackDataset(4000, 33);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-oppoint-'));
    await writeFile(join(dir, 'attacks.csv'), csv);
    const store = new LocalArtifactStore(join(dir, 'artifacts'));
    deps = { store, registry: new ArtifactRegistry(store), source: (s) => new CsvFileSource(s.kind === 'csv' ? s.path : ''), promotion: { metric: 'macroF1', minDelta: 0 } };
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('a maxFalsePositiveRate 0.01 run keeps the test FPR within 0.01 + the binomial margin, and stores curves and calibration', async () => {
    const run = RunSpec.parse({
      runId: 'run-fpr',
      modelName: 'attacks',
      source: { kind: 'csv', path: join(dir, 'attacks.csv') },
      schema,
      families: ['logistic_regression'],
      search: { logistic_regression: { grid: { C: [1] } } },
      threshold: { maxFalsePositiveRate: 0.01 },
    });
    const r = await runLocally(run, deps);
    const entry = (await deps.registry.get('attacks', r.version))!;
    const op = entry.manifest.operatingPoint!;
    expect(op).toMatchObject({ rule: { maxFalsePositiveRate: 0.01 }, chosenOn: 'out-of-fold', met: true });
    expect(op.oof!.fpr).toBeLessThanOrEqual(0.01);
    // The test FPR measured again from the registered pipeline, not taken from the summary.
    const test = decodeDataset((await deps.store.get(runKeys('run-fpr').test))!);
    const pipeline = await Pipeline.fromJSON(entry.model);
    const threat = threatIndices(test.classes, parseDatasetSchema(JSON.stringify(schema)).label.threat);
    const at = confusionAt(threatOutcomes(test.labels, threat), threatScores(pipeline.predictProba(test.features), test.classes.length, threat), op.threshold);
    const negatives = at.fp + at.tn;
    expect(negatives).toBeGreaterThan(200);
    // One-sided 3-sigma binomial margin on the test negatives.
    expect(at.fpr).toBeLessThanOrEqual(0.01 + 3 * Math.sqrt((0.01 * 0.99) / negatives));
    expect(at).toEqual(op.test);
    // Not bought by flagging nothing: most threats are still caught.
    expect(at.recall).toBeGreaterThan(0.8);
    console.log(`maxFalsePositiveRate 0.01: threshold ${op.threshold}, OOF FPR ${op.oof!.fpr}, test FPR ${at.fpr} (${at.fp}/${negatives}), recall ${at.recall}`);
    expect(op.calibration.testBrier).toBeGreaterThanOrEqual(0);
    const curves = await getJson<OperatingPointCurves>(deps.store, op.curvesKey);
    expect(curves!.test.roc.length).toBeLessThanOrEqual(200);
    expect(curves!.test.reliability.length).toBeGreaterThan(1);
    expect(curves!.oof!.reliability.length).toBeGreaterThan(1);
    const families = (await getJson<{ families: { family: string; calibration?: { rawBrier: number; brier: number } }[] }>(deps.store, runKeys('run-fpr').metrics))!.families;
    for (const f of families) expect(f.calibration!.brier).toBeLessThanOrEqual(f.calibration!.rawBrier);
  });

  it('reads the rule from a run file and refuses two rules at once', () => {
    expect(parseRunConfig('threshold: { minRecall: 0.9 }\ncalibration: platt\n')).toMatchObject({ threshold: { minRecall: 0.9 }, calibration: 'platt' });
    expect(() => parseRunConfig('threshold: { minRecall: 0.9, minPrecision: 0.5 }\n')).toThrow(RunConfigError);
    const err = (() => {
      try {
        parseRunConfig('threshold: { maxFalsePositiveRate: 2 }\n');
      } catch (e) {
        return e as RunConfigError;
      }
    })();
    expect(err?.problems).toEqual(['threshold.maxFalsePositiveRate: must be <= 1']);
  });
});
