import type { Column, Dataset } from '../data/frame.js';
import { takeDataset } from '../data/frame.js';
import { Rng } from '../data/rng.js';
import { stratifiedOrder, stratifiedSample } from '../data/stratified-order.js';
import { rowHashes } from '../registry/training-rows.js';

/**
 * How a run with feedback rows (RunSpec.feedback) uses them. The source holds the old concept;
 * feedback rows are analysts' labels of recent traffic, the only evidence of the new one:
 *  - a source row whose features equal a feedback row's is dropped: the newer label wins;
 *  - a `testSize` share of the feedback rows is the whole test split, so promotion judges
 *    candidate and production on recent labelled traffic (a test split drawn from the source would
 *    still hold the old labels and reward the old concept). Feedback rows with equal features stay
 *    on one side: traffic repeats inputs, and a candidate that trained on a copy of a test row
 *    would win against a production that never saw it, with or without a shift;
 *  - the other feedback rows train, with the source's rows, sampled (stratified, seeded) so that
 *    feedback makes up `share` of the training rows: a flipped segment is otherwise outvoted by
 *    the source's rows of that segment, about (source rows / feedback rows) to 1. Copying the
 *    feedback rows instead (tried first) did not win reliably: a deep tree answers an unseen input
 *    from the distinct inputs around it, which copies do not add, and copies split across CV folds
 *    reward memorising.
 */

/** Rows of `source` then rows of `extra` (same schema: same columns, categories and classes). */
export function concatDatasets(source: Dataset, extra: Dataset): Dataset {
  if (source.classes.join('\n') !== extra.classes.join('\n')) throw new Error('feedback rows and source rows have different label classes');
  const n = source.features.nRows + extra.features.nRows;
  const columns = source.features.columns.map((a, i): Column => {
    const b = extra.features.columns[i];
    if (a.kind === 'numeric' && b?.kind === 'numeric' && a.name === b.name) {
      const values = new Float64Array(n);
      values.set(a.values);
      values.set(b.values, a.values.length);
      return { ...a, values };
    }
    if (a.kind === 'categorical' && b?.kind === 'categorical' && a.name === b.name && a.categories.join('\n') === b.categories.join('\n')) {
      const codes = new Int32Array(n);
      codes.set(a.codes);
      codes.set(b.codes, a.codes.length);
      return { ...a, codes };
    }
    throw new Error(`feedback rows and source rows differ in column ${a.name}`);
  });
  const labels = new Int32Array(n);
  labels.set(source.labels);
  labels.set(extra.labels, source.labels.length);
  return { ...source, features: { nRows: n, columns }, labels };
}

/** Hashes of the rows' features alone (the label left out). */
function featureHashes(data: Dataset): Float64Array {
  return rowHashes({ ...data, labels: new Int32Array(data.labels.length).fill(-1) });
}

/**
 * The run's dataset: the source rows whose features no feedback row has, then the feedback rows.
 * `superseded`: source rows dropped.
 */
export function withFeedback(source: Dataset, feedback: Dataset): { dataset: Dataset; superseded: number } {
  const newer = new Set(featureHashes(feedback));
  const fh = featureHashes(source);
  const keep: number[] = [];
  for (let i = 0; i < fh.length; i++) if (!newer.has(fh[i])) keep.push(i);
  const kept = keep.length === fh.length ? source : takeDataset(source, keep);
  return { dataset: concatDatasets(kept, feedback), superseded: fh.length - keep.length };
}

/** Source rows a feedback run trains on: all of them, or fewer so feedback makes up `share` of the training rows. */
export function sourceRowsToKeep(share: number, sourceRows: number, feedbackTrainRows: number): number {
  if (!(share > 0)) return sourceRows;
  return Math.min(sourceRows, Math.max(1, Math.round(((1 - share) / share) * feedbackTrainRows)));
}

/** A seeded stratified sample of the first `sourceRows` rows (all of them when `keep` covers them). */
function sourceSample(labels: Int32Array, sourceRows: number, keep: number, seed: number): Int32Array {
  if (keep >= sourceRows) return Int32Array.from({ length: sourceRows }, (_, i) => i);
  return Int32Array.from(stratifiedSample(stratifiedOrder(labels.subarray(0, sourceRows), seed), keep)).sort();
}

/**
 * A seeded split of rows into train and test that keeps rows with equal features together (on the
 * test side they are inputs the model never saw) and about `testSize` of each class in the test:
 * groups in random order join the test split while their class (that of their first row) has
 * fewer test rows than its share.
 */
export function groupedSplit(hashes: Float64Array, labels: Int32Array, testSize: number, seed: number): { train: Int32Array; test: Int32Array } {
  const groups = new Map<number, number[]>();
  hashes.forEach((h, i) => (groups.get(h) ?? groups.set(h, []).get(h)!).push(i));
  const list = [...groups.values()];
  const order = new Rng(seed).shuffle(Int32Array.from(list.keys()));
  const total = new Map<number, number>();
  for (const y of labels) total.set(y, (total.get(y) ?? 0) + 1);
  const taken = new Map<number, number>();
  const train: number[] = [];
  const test: number[] = [];
  for (const g of order) {
    const rows = list[g];
    const y = labels[rows[0]];
    const has = taken.get(y) ?? 0;
    const into = has + rows.length / 2 <= Math.round(total.get(y)! * testSize) ? test : train;
    if (into === test) taken.set(y, has + rows.length);
    for (const i of rows) into.push(i);
  }
  return { train: Int32Array.from(train), test: Int32Array.from(test) };
}

export interface FeedbackSplit {
  train: Int32Array;
  test: Int32Array;
  /** Source rows in `train` (all, or a stratified sample). */
  sourceTrainRows: number;
}

/**
 * Train and test rows of a dataset whose last `feedbackRows` rows are feedback (see above): test =
 * a seeded share of the feedback rows, grouped by features (`groupedSplit`); train = the other
 * feedback rows and the source rows (a stratified sample when they would outweigh `share`), shuffled.
 */
export function feedbackSplit(data: Dataset, feedbackRows: number, share: number, testSize: number, seed: number): FeedbackSplit {
  const { labels } = data;
  const sourceRows = labels.length - feedbackRows;
  const feedback = takeDataset(data, Int32Array.from({ length: feedbackRows }, (_, i) => sourceRows + i));
  const part = groupedSplit(featureHashes(feedback), feedback.labels, testSize, seed);
  const source = sourceSample(labels, sourceRows, sourceRowsToKeep(share, sourceRows, part.train.length), seed);
  const train = new Int32Array(source.length + part.train.length);
  train.set(source);
  train.set(part.train.map((i) => sourceRows + i), source.length);
  return { train: new Rng(seed).shuffle(train), test: part.test.map((i) => sourceRows + i), sourceTrainRows: source.length };
}

/** Every row of a refit on all rows: the source rows the split kept (`sourceTrainRows`, the same sample) and every feedback row. */
export function allRowsOf(data: Dataset, feedbackRows: number, sourceTrainRows: number, seed: number): Int32Array {
  const sourceRows = data.labels.length - feedbackRows;
  const source = sourceSample(data.labels, sourceRows, sourceTrainRows, seed);
  const out = new Int32Array(source.length + feedbackRows);
  out.set(source);
  for (let i = 0; i < feedbackRows; i++) out[source.length + i] = sourceRows + i;
  return out;
}
