import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoPath } from '../../test/helpers/datasets.js';
import { trainPhishing } from '../../test/helpers/served.js';
import { LocalArtifactStore } from '../adapters/local-artifact-store.js';
import { DataError } from '../errors.js';
import { loadServedModel, type ServedModel } from '../registry/served-model.js';
import { batchIdRange, idAt } from '../monitoring/prediction-id.js';
import { PipelineExplainer } from '../explain/explainer.js';
import { explanationOf, frameColumnsOf } from '../explain/explanation.js';
import { explainColumns } from './explain-columns.js';
import { resultColumns, scoreCsvChunk } from './score-chunk.js';
import { ThreadScorer } from './thread-scorer.js';
import { readCsvText } from '../../test/helpers/datasets.js';

describe('scoreCsvChunk', () => {
  let dir: string;
  let model: ServedModel;
  let header: string[];
  let rows: string[];
  let lines: string[];
  let store: LocalArtifactStore;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-chunk-'));
    store = new LocalArtifactStore(dir);
    model = (await loadServedModel(await trainPhishing(store, 'chunk-run'), store, 'phishing', 1))!;
    const all = (await readFile(repoPath('data/phishing.csv'), 'utf8')).trim().split(/\r?\n/);
    const head = all[0];
    lines = all.slice(1);
    // The 30 features and a free-text column carried through.
    header = [...head.replaceAll('"', '').split(',').slice(0, 30), 'note'];
    rows = lines.slice(0, 6).map((l) => l.split(',').slice(0, 30).join(','));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const score = (text: string, firstRow = 1) => scoreCsvChunk(model, header, new TextEncoder().encode(text), firstRow);
  it('gives each record its batch-wide prediction id, and samples the same rows for the log when scored again', () => {
    const ids = batchIdRange('0b6f1d2e-3c4a-4f5b-8a9c-1d2e3f4a5b6c', Date.parse('2026-11-30T05:00:00.000Z'));
    const bad = rows[1].split(',');
    bad[1] = '7'; // out of its domain: unscored, but still has its id
    const text = [rows[0], bad.join(','), ...rows.slice(2)].map((r) => `${r},n\n`).join('');
    const run = () => scoreCsvChunk(model, header, new TextEncoder().encode(text), 101, 20, { ids, logSample: 0.5 });
    const out = run();
    const records = Papa.parse<string[]>(out.csv, { delimiter: ',', skipEmptyLines: true }).data;
    expect(records.map((r) => r[31])).toEqual(rows.map((_, i) => idAt(ids, 100 + i)));
    expect(records[1][32]).toBe('');
    const logged = out.logged!;
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.length).toBeLessThan(5);
    expect(run().logged).toEqual(logged);
    for (const r of logged) {
      const i = records.findIndex((rec) => rec[31] === r.id);
      expect(r).toMatchObject({ source: 'async', model: 'phishing', version: 1, at: '2026-11-30T05:00:00.000Z', label: records[i][32] });
      expect(r.features).toEqual(Object.fromEntries(header.slice(0, 30).map((h, j) => [h, records[i][j]])));
    }
    expect(scoreCsvChunk(model, header, new TextEncoder().encode(text), 101, 20, { ids, logSample: 1 }).logged).toHaveLength(5);
  });

  it('echoes each record, quoted fields (commas, quotes, line breaks) quoted again, then its verdict', () => {
    const notes = ['plain', '"has, comma"', '"say ""hi"""', '"two\nlines"', '', '"needless"'];
    const out = score(rows.map((r, i) => `${r},${notes[i]}\n`).join(''));
    expect(out).toMatchObject({ rows: 6, scored: 6, invalid: 0 });
    const records = Papa.parse<string[]>(out.csv, { delimiter: ',', skipEmptyLines: true }).data;
    expect(records.map((r) => r.slice(0, 30).join(','))).toEqual(rows);
    expect(records.map((r) => r[30])).toEqual(['plain', 'has, comma', 'say "hi"', 'two\nlines', '', 'needless']);
    const K = model.pipeline.classes.length;
    for (const r of records) {
      expect(r).toHaveLength(31 + 2 + K + 3);
      const [label, probability, ...rest] = r.slice(31);
      const p = rest.slice(0, K).map(Number);
      // threat, score (P(any threat class)), then an empty error.
      const score = model.threatClasses.reduce((s, k) => s + p[k], 0);
      expect(Number(rest[K + 1])).toBeCloseTo(score, 12);
      expect(rest[K]).toBe(String(Number(rest[K + 1]) >= model.threshold));
      expect(rest[K + 2]).toBe('');
      expect(model.pipeline.classes).toContain(label);
      // The predicted class's probability is its p_<class> column, and the p_ columns sum to 1.
      expect(Number(probability)).toBe(p[model.pipeline.classes.indexOf(label)]);
      expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    }
    for (const quoted of [',"has, comma",', ',"say ""hi""",', ',"two\nlines",', ',needless,']) expect(out.csv).toContain(quoted);
  });

  it('reads CRLF records like LF ones', () => {
    const lf = score(rows.map((r) => `${r},x\n`).join(''));
    const crlf = score(rows.map((r, i) => `${r},${i % 2 ? '"x"' : 'x'}\r\n`).join(''));
    expect(crlf).toEqual(lf);
  });

  it('leaves a record that breaks the schema unscored, naming the batch row and the rule', () => {
    const broken = rows.map((r, i) => (i === 2 ? `7${r.slice(r.indexOf(','))}` : r));
    const out = score(broken.map((r) => `${r},n\n`).join(''), 101);
    expect(out).toMatchObject({ rows: 6, scored: 5, invalid: 1, errors: [{ row: 103, field: header[0], rule: 'allowed-values' }] });
    expect(out.csv.split('\n')[2].endsWith(`,,${','.repeat(model.pipeline.classes.length)},,,${header[0]} allowed-values`)).toBe(true);
  });

  it('adds base, the top k features and contributions and the output as columns; an unscored row leaves them empty', async () => {
    const broken = rows.map((r, i) => (i === 2 ? `7${r.slice(r.indexOf(','))}` : r));
    const top = 3;
    const out = scoreCsvChunk(model, header, new TextEncoder().encode(broken.map((r) => `${r},n\n`).join('')), 1, 20, { explain: { top } });
    const names = resultColumns(model.pipeline.classes, { explain: top });
    expect(names.slice(-2 * top - 3)).toEqual(['explain_base', 'explain_1_feature', 'explain_1_contribution', 'explain_2_feature', 'explain_2_contribution', 'explain_3_feature', 'explain_3_contribution', 'explain_output', 'error']);
    expect(explainColumns(top)).toEqual(names.slice(-2 * top - 3, -1));
    const records = Papa.parse<string[]>(out.csv, { delimiter: ',', skipEmptyLines: true }).data;
    const at = 31 + names.indexOf('explain_base');
    expect(records[0]).toHaveLength(31 + names.length);
    expect(records[2].slice(at, at + 2 * top + 2).every((c) => c === '')).toBe(true);
    // The same rows explained directly: the listed features and values are /v1/predict's.
    const good = broken.filter((_, i) => i !== 2);
    const { dataset } = await readCsvText(`${header.slice(0, 30).join(',')}\n${good.join('\n')}\n`, model.schema, false);
    const proba = model.pipeline.predictProba(dataset.features);
    const explained = PipelineExplainer.for(model.pipeline).explain(dataset.features, proba);
    const cols = frameColumnsOf(dataset.features, explained.features);
    const K = model.pipeline.classes.length;
    const raw = model.pipeline.withCalibrator(undefined).predictProba(dataset.features);
    [0, 1, 3, 4, 5].forEach((row, k) => {
      const e = explanationOf(explained, k, dataset.features, cols, model.pipeline.classes, top);
      const cells = records[row].slice(at, at + 2 * top + 2);
      expect(Number(cells[0])).toBe(e.baseValue);
      expect(cells.slice(1, -1)).toEqual(e.contributions.flatMap((c) => [c.feature, String(c.contribution)]));
      expect(Number(cells.at(-1))).toBe(e.outputValue);
      // A decision tree explains the threat class's probability before calibration.
      expect(Number(cells.at(-1))).toBeCloseTo(raw[k * K + model.pipeline.positiveClass], 9);
    });
  });

  it('reports an explained chunk\'s progress from the scoring thread, every 256 rows', async () => {
    const text = lines.slice(0, 600).map((l) => `${l.split(',').slice(0, 30).join(',')},n\n`).join('');
    const seen: number[] = [];
    const direct = scoreCsvChunk(model, header, new TextEncoder().encode(text), 1, 20, { explain: { top: 2 }, onProgress: (f) => seen.push(f) });
    expect(seen).toEqual([256 / 600, 512 / 600]);
    const threads = new ThreadScorer({ store });
    try {
      const relayed: number[] = [];
      const { chunk } = await threads.scoreChunk({ name: 'phishing', version: 1 }, header, new TextEncoder().encode(text), 1, 20, { explain: { top: 2 }, onProgress: (f) => relayed.push(f) });
      expect(relayed).toEqual(seen);
      expect(new TextDecoder().decode(chunk.bytes)).toBe(direct.csv);
    } finally {
      await threads.close();
    }
  });

  it('fails the chunk on broken quotes instead of shifting the records after them', () => {
    const text = rows.map((r, i) => `${r},${i === 1 ? '"a"b' : 'n'}\n`).join('');
    expect(() => score(text, 51)).toThrow(DataError);
    expect(() => score(text, 51)).toThrow(/^row 52:/);
  });
});
