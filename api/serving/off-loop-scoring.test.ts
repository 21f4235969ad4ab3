import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../../core/adapters/local-artifact-store.js';
import { readCsv } from '../../core/data/csv-reader.js';
import type { Frame } from '../../core/data/frame.js';
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
});
