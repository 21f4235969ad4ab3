import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../../core/adapters/local-artifact-store.js';
import { readCsv } from '../../core/data/csv-reader.js';
import type { Frame } from '../../core/data/frame.js';
import { RecordEncoder } from '../../core/data/record-encoder.js';
import { ThreadScorer } from '../../core/batch/thread-scorer.js';
import { PipelineExplainer } from '../../core/explain/explainer.js';
import { explanationOf, frameColumnsOf } from '../../core/explain/explanation.js';
import { loadServedModel, type ServedModel } from '../../core/registry/served-model.js';
import { parseDatasetSchema } from '../../schema/index.js';
import { registerFitted } from '../../test/helpers/fitted-model.js';
import { attackDataset } from '../../test/helpers/synthetic.js';
import { OffLoopScoring } from './off-loop-scoring.js';

describe('OffLoopScoring', () => {
  let dir: string;
  let store: LocalArtifactStore;
  let knn: ServedModel;
  let tree: ServedModel;
  let frame: Frame;
  let scoring: OffLoopScoring;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-offloop-'));
    store = new LocalArtifactStore(dir);
    const data = attackDataset(2_000, 3);
    const csv = join(dir, 'attacks.csv');
    await writeFile(csv, data.csv);
    const { registry } = await registerFitted(store, { name: 'knn', csv, schema: data.schema, kind: 'knn', scale: true });
    await registerFitted(store, { name: 'tree', csv, schema: data.schema, kind: 'decision_tree' });
    knn = (await loadServedModel(registry, store, 'knn', 1))!;
    tree = (await loadServedModel(registry, store, 'tree', 1))!;
    frame = (await readCsv(csv, parseDatasetSchema(JSON.stringify(data.schema)))).dataset.features;
    scoring = new OffLoopScoring({ store, minRows: 256, inlineMs: 20 });
  });
  afterAll(async () => {
    await scoring.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps small requests and tree models inline, and sends a big request of an unmeasured KNN to the thread', () => {
    expect(scoring.placement(knn, 255)).toBe('inline');
    expect(scoring.placement(tree, 10_000)).toBe('inline');
    expect(scoring.placement(knn, 256)).toBe('thread');
  });

  it('scores on the thread exactly as inline, then places by the cost it measured', async () => {
    // A generous budget: once the cost is known, 2,000 KNN rows fit in it; before, the cost counts as unbounded.
    const generous = new OffLoopScoring({ store, inlineMs: 1e9 });
    try {
      expect(generous.placement(knn, frame.nRows)).toBe('thread');
      expect(await generous.predictProba(knn, frame)).toEqual(knn.pipeline.predictProba(frame));
      expect(generous.placement(knn, frame.nRows)).toBe('inline');
    } finally {
      await generous.close();
    }
  });

  it('explains on the thread as inline: the same probabilities and explanation JSON for each request of a turn, a failing one rejected alone', async () => {
    // Frames as the API makes them (the record encoder lays them out by the schema), with categorical columns.
    const records = Array.from({ length: 7 }, (_, i) => Object.fromEntries(frame.columns.map((c) => [c.name, c.kind === 'numeric' ? c.values[i] : c.categories[c.codes[i]]])));
    const encoder = new RecordEncoder(tree.schema);
    const frames = [records.slice(0, 1), records.slice(1, 2), records.slice(2, 7)].map((r) => encoder.encode(r).frame);
    const threads = new ThreadScorer({ store });
    try {
      // All in one turn: they cross in one message; the KNN job fails on the thread (never explained), the others do not.
      const [knnFails, ...got] = await Promise.allSettled([threads.explain(knn, frames[0], 3), ...frames.map((f, k) => threads.explain(tree, f, k + 2))]);
      expect(knnFails).toMatchObject({ status: 'rejected', reason: { name: 'ExplainError' } });
      frames.forEach((f, k) => {
        const proba = tree.pipeline.predictProba(f);
        const e = PipelineExplainer.for(tree.pipeline).explain(f, proba);
        const cols = frameColumnsOf(f, e.features);
        const texts = Array.from({ length: f.nRows }, (_, i) => JSON.stringify(explanationOf(e, i, f, cols, tree.pipeline.classes, k + 2)));
        expect(got[k]).toEqual({ status: 'fulfilled', value: { proba, explanations: texts } });
      });
      expect(JSON.parse((got[2] as PromiseFulfilledResult<{ explanations: string[] }>).value.explanations[4]).contributions).toHaveLength(4);
    } finally {
      await threads.close();
    }
  });
});
