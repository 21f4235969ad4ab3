import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readCsv } from '../../core/data/csv-reader.js';
import { takeDataset, type Dataset } from '../../core/data/frame.js';
import { complement } from '../../core/data/split.js';
import { parseDatasetSchema } from '../../schema/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** data/phishing.csv split on the exact test rows scikit-learn's baseline used. */
export async function phishingSplit(): Promise<{ all: Dataset; train: Dataset; test: Dataset }> {
  const schema = parseDatasetSchema(readFileSync(`${root}schema/phishing.yaml`, 'utf8'), 'schema/phishing.yaml');
  const { dataset: all } = await readCsv(`${root}data/phishing.csv`, schema);
  const fixture = JSON.parse(readFileSync(`${root}bench/fixtures/split_test_indices.json`, 'utf8')) as { test_indices: number[] };
  const testIdx = Int32Array.from(fixture.test_indices);
  return { all, train: takeDataset(all, complement(all.labels.length, testIdx)), test: takeDataset(all, testIdx) };
}
