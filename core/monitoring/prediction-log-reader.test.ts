import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../adapters/local-artifact-store.js';
import { findLogged } from './logged-ids.js';
import { idAt, newIdRange } from './prediction-id.js';
import { logParts, type LoggedPrediction } from './prediction-log-format.js';
import { readPredictionLog, readWindow } from './prediction-log-reader.js';

const T0 = Date.parse('2026-11-30T09:59:00.000Z');
/** Rows one every `stepMs` from T0 (crossing into the next hour), each with an id of its time. */
const rows = (n: number, stepMs: number, model = 'phishing'): LoggedPrediction[] =>
  Array.from({ length: n }, (_, i) => {
    const ms = T0 + i * stepMs;
    return { id: idAt(newIdRange(ms), 0), at: new Date(ms).toISOString(), model, version: 1, source: 'predict', features: { i }, label: '1', threat: false, probabilities: { '-1': 0.2, '1': 0.8 } };
  });

describe('prediction log reader', () => {
  let dir: string;
  let store: LocalArtifactStore;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-plog-read-'));
    store = new LocalArtifactStore(dir);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const write = async (list: LoggedPrediction[], per: number) => {
    for (let i = 0; i < list.length; i += per) for (const p of logParts(list.slice(i, i + per), `w-${i}`)) await store.put(p.key, p.body);
  };

  it("yields exactly a window's rows across hours and parts, and only the model's", async () => {
    const all = rows(240, 1_000); // 09:59:00 to 10:02:59, parts of 25 rows
    await write(all, 25);
    await write(rows(10, 1_000, 'other'), 5);
    const w = { fromMs: T0 + 30_000, toMs: T0 + 90_500 };
    const got = await readWindow(store, 'phishing', w);
    expect(got.map((r) => r.features.i)).toEqual(Array.from({ length: 61 }, (_, i) => 30 + i));
    expect((await readWindow(store, 'phishing', { fromMs: T0, toMs: T0 + 1_000_000 })).length).toBe(240);
    expect(await readWindow(store, 'phishing', { fromMs: T0 + 5, toMs: T0 + 5 })).toEqual([]);
    const parts: number[] = [];
    for await (const p of readPredictionLog(store, 'phishing', w, { concurrency: 2 })) parts.push(p.length);
    expect(parts.reduce((a, b) => a + b, 0)).toBe(61);
  });

  it('finds logged ids by reading only the parts their time falls in, within a bound', async () => {
    const all = rows(100, 1_000);
    await write(all, 10);
    const stranger = idAt(newIdRange(T0 + 5_500), 0);
    const found = await findLogged(store, 'phishing', [all[3].id, all[97].id, stranger]);
    expect([...found.found].sort()).toEqual([all[3].id, all[97].id].sort());
    expect(found.unchecked.size).toBe(0);
    const bounded = await findLogged(store, 'phishing', [all[3].id, all[97].id], { maxParts: 1 });
    expect(bounded.found.size + bounded.unchecked.size).toBe(2);
    expect(bounded.unchecked.size).toBe(1);
  });
});
