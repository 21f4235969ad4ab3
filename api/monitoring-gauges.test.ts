import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../core/adapters/local-artifact-store.js';
import { saveWindow, windowId, type MonitorWindow } from '../core/monitoring/window-store.js';
import { latestWindowIds, monitoringGauges } from './monitoring-gauges.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 30, 8);
const id = (from: number, to: number, v: number) => windowId({ fromMs: T0 + from * MIN, toMs: T0 + to * MIN }, v);

/** A window with only the figures the gauges read. */
const window = (from: number, to: number, version: number, o: { share?: number; alerts?: number; realised?: number } = {}): MonitorWindow => ({
  id: id(from, to, version),
  model: 'phishing',
  version,
  fromMs: T0 + from * MIN,
  toMs: T0 + to * MIN,
  createdAt: new Date(T0 + to * MIN).toISOString(),
  testF1: 0.97,
  report: {
    rows: 100,
    features: { driftedColumns: 0, share: o.share ?? 0, drifted: false, columns: [] },
    estimated: { f1: { value: 0.9, se: 0.01 } },
    realised: o.realised === undefined ? undefined : { labelled: 10, coverage: 0.1, precision: 1, recall: 1, f1: o.realised, rocAuc: 1 },
  } as unknown as MonitorWindow['report'],
  alerts: Array.from({ length: o.alerts ?? 0 }, () => ({ rule: 'featureDrift', value: 1, limit: 0.5, message: 'x' })),
});

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('latestWindowIds', () => {
  it("keeps the newest window and any other version's newest that overlaps it", () => {
    const ids = [id(0, 5, 1), id(5, 10, 1), id(5, 10, 2), id(10, 15, 2), id(8, 13, 1), id(0, 5, 3)];
    // v2's [10,15) is newest; v1's newest [8,13) overlaps it; v3 stopped long before.
    expect(latestWindowIds(ids).sort()).toEqual([id(10, 15, 2), id(8, 13, 1)].sort());
    expect(latestWindowIds([id(0, 5, 1), id(5, 10, 2)])).toEqual([id(5, 10, 2)]);
    // The same span in two versions: both.
    expect(latestWindowIds([id(0, 5, 1), id(0, 5, 2)]).sort()).toEqual([id(0, 5, 1), id(0, 5, 2)].sort());
    expect(latestWindowIds(['junk'])).toEqual([]);
  });
});

describe('monitoringGauges', () => {
  async function setup(cacheMs: number) {
    const dir = await mkdtemp(join(tmpdir(), 'tm-gauges-'));
    dirs.push(dir);
    const store = new LocalArtifactStore(dir);
    let lists = 0;
    let fail = false;
    const counting = Object.assign(Object.create(store) as LocalArtifactStore, {
      list: (prefix: string) => {
        lists++;
        return fail ? Promise.reject(new Error('store down')) : store.list(prefix);
      },
    });
    const registry = new Registry();
    const errors: unknown[] = [];
    let now = T0 + 20 * MIN;
    monitoringGauges(registry, { store: counting, model: () => 'phishing', cacheMs, onError: (e) => errors.push(e), now: () => now });
    return {
      store,
      registry,
      errors,
      lists: () => lists,
      fail: (v: boolean) => (fail = v),
      advance: (ms: number) => (now += ms),
      text: async () => (await registry.metrics()).split('\n').filter((l) => l.startsWith('tm_monitor_')),
    };
  }

  it('reads once per cache period, shared by concurrent scrapes, never waits after the first read, keeps the last good read when the store fails', async () => {
    const g = await setup(15_000);
    await saveWindow(g.store, window(0, 5, 1, { share: 0.25, alerts: 1, realised: 0.8 }));
    // The first scrape waits for the first read.
    const [first] = await Promise.all([g.text(), g.text(), g.text()]);
    expect(g.lists()).toBe(1);
    expect(first).toEqual(
      expect.arrayContaining([
        'tm_monitor_drift_share{model="phishing",version="1"} 0.25',
        'tm_monitor_estimated_f1{model="phishing",version="1"} 0.9',
        'tm_monitor_realised_f1{model="phishing",version="1"} 0.8',
        'tm_monitor_alert{model="phishing",version="1"} 1',
        'tm_monitor_window_rows{model="phishing",version="1"} 100',
        'tm_monitor_window_age_seconds{model="phishing",version="1"} 900',
      ]),
    );
    // Within the period: no read; the age still moves.
    g.advance(10_000);
    await saveWindow(g.store, window(5, 10, 2));
    expect(await g.text()).toContain('tm_monitor_window_age_seconds{model="phishing",version="1"} 910');
    expect(g.lists()).toBe(1);
    // Past it: the scrape gets the last read at once and starts the next; a later scrape sees v2
    // newest, v1 gone (it stopped before v2's window began), no realised F1 (no feedback).
    g.advance(6_000);
    expect(await g.text()).toContain('tm_monitor_alert{model="phishing",version="1"} 1');
    await expect.poll(() => g.text()).toContain('tm_monitor_alert{model="phishing",version="2"} 0');
    const second = await g.text();
    expect(g.lists()).toBe(2);
    expect(second.filter((l) => l.includes('version="1"'))).toEqual([]);
    expect(second.some((l) => l.startsWith('tm_monitor_realised_f1'))).toBe(false);
    // A failing store: the last read stands, the error is reported, no retry within the period.
    g.fail(true);
    g.advance(16_000);
    await g.text();
    await expect.poll(() => g.errors.map((e) => (e as Error).message)).toEqual(['store down']);
    expect(await g.text()).toContain('tm_monitor_alert{model="phishing",version="2"} 0');
    expect(g.lists()).toBe(3);
  });

  it('registers once per registry', async () => {
    const g = await setup(1000);
    expect(() => monitoringGauges(g.registry, { store: g.store, model: () => 'other' })).not.toThrow();
  });
});
