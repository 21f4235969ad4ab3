import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseDatasetSchema } from '../../schema/index.js';
import { LocalArtifactStore } from '../adapters/local-artifact-store.js';
import { feedbackCsv } from './feedback-csv.js';
import type { LabelledPrediction } from './feedback-join.js';
import { labelledRows } from './feedback-rows.js';
import { storeFeedback } from './feedback-store.js';
import { idAt, newIdRange } from './prediction-id.js';
import { logParts, type LoggedPrediction } from './prediction-log-format.js';

const T0 = Date.parse('2026-11-30T09:59:00.000Z');
/** Rows one every `stepMs` from T0 (crossing into the next hour), each with an id of its time. */
const rows = (n: number, stepMs: number, model = 'phishing'): LoggedPrediction[] =>
  Array.from({ length: n }, (_, i) => {
    const ms = T0 + i * stepMs;
    return { id: idAt(newIdRange(ms), 0), at: new Date(ms).toISOString(), model, version: 1, source: 'predict', features: { i }, label: '1', threat: false, probabilities: { '-1': 0.2, '1': 0.8 } };
  });

describe('labelled feedback rows', () => {
  let dir: string;
  let store: LocalArtifactStore;
  let read: string[];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-fb-rows-'));
    store = new LocalArtifactStore(dir);
    read = [];
    const get = store.get.bind(store);
    store.get = (key: string) => {
      read.push(key);
      return get(key);
    };
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const write = async (list: LoggedPrediction[], per: number) => {
    for (let i = 0; i < list.length; i += per) for (const p of logParts(list.slice(i, i + per), `w-${i}`)) await store.put(p.key, p.body);
  };

  it("pairs labels with their logged predictions, newest first, reading only the parts that hold labelled ids", async () => {
    const all = rows(240, 1_000); // 09:59:00 to 10:02:59, parts of 20 rows
    await write(all, 20);
    await write(rows(10, 1_000, 'other'), 5);
    const stranger = idAt(newIdRange(T0 + 5_500), 0);
    await storeFeedback(store, [all[3], all[70], all[200]].map((r) => ({ predictionId: r.id, label: '-1' })).concat({ predictionId: stranger, label: '1' }));
    await storeFeedback(store, [{ predictionId: all[70].id, label: '1' }]); // a correction: the later label counts
    read = [];
    const got = await labelledRows(store, 'phishing', { fromMs: T0, toMs: T0 + 3_600_000 });
    expect(got.rows.map((r) => [r.prediction.features.i, r.label])).toEqual([[200, '-1'], [70, '1'], [3, '-1']]);
    expect(got).toMatchObject({ labels: 4, unmatched: 1 });
    const logRead = read.filter((k) => k.startsWith('predictions/'));
    expect(logRead.length).toBe(3);
    // Capped: the newest only.
    expect((await labelledRows(store, 'phishing', { fromMs: T0, toMs: T0 + 3_600_000 }, { maxRows: 2 })).rows.map((r) => r.prediction.features.i)).toEqual([200, 70]);
    // Labels of predictions outside the span are not taken.
    expect((await labelledRows(store, 'phishing', { fromMs: T0 + 60_000, toMs: T0 + 3_600_000 })).rows.map((r) => r.prediction.features.i)).toEqual([200, 70]);
  });

  it('become a CSV in the schema\'s column order, leaving out rows a training run would refuse', () => {
    const schema = parseDatasetSchema(
      JSON.stringify({
        name: 'flows',
        features: [
          { name: 'bytes', kind: 'numeric', min: 0 },
          { name: 'service', kind: 'categorical', values: ['http', 'dns,tcp'] },
        ],
        label: { name: 'label', classes: ['benign', 'dos'], threat: ['dos'] },
      }),
    );
    const labelled = (features: Record<string, unknown>, label: string): LabelledPrediction => ({
      prediction: { id: 'x', at: '', model: 'flows', version: 1, source: 'async', features, label: 'benign', threat: false, probabilities: {} },
      label,
      labelledAt: '',
    });
    const out = feedbackCsv(schema, [
      labelled({ service: 'dns,tcp', bytes: 10 }, 'dos'),
      labelled({ bytes: '-5', service: 'http' }, 'benign'),
      labelled({ bytes: '7', service: 'http', extra: 1 }, 'benign'),
      labelled({ bytes: 3 }, 'dos'),
    ]);
    expect(out.csv).toBe('bytes,service,label\n10,"dns,tcp",dos\n7,http,benign\n');
    expect(out).toMatchObject({ rows: 2, dropped: 2, firstProblem: expect.stringMatching(/bytes/) });
  });
});
