import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../adapters/local-artifact-store.js';
import { getWindow, listWindowIds, parseWindowId, saveWindow, windowId, type MonitorWindow } from './window-store.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const record = (fromMs: number, toMs: number, version = 3): MonitorWindow => ({
  id: windowId({ fromMs, toMs }, version),
  model: 'phishing',
  version,
  fromMs,
  toMs,
  createdAt: new Date(toMs).toISOString(),
  testF1: 0.97,
  report: { rows: 0 } as MonitorWindow['report'],
  alerts: [],
});

describe('window store', () => {
  it('keeps windows by id and lists those overlapping a span, oldest first', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tm-windows-'));
    dirs.push(dir);
    const store = new LocalArtifactStore(dir);
    const hour = 3_600_000;
    const t0 = Date.UTC(2026, 10, 30, 8);
    for (const i of [2, 0, 1]) await saveWindow(store, record(t0 + i * hour, t0 + (i + 1) * hour));
    const all = await listWindowIds(store, 'phishing');
    expect(all.map((id) => parseWindowId(id)!.fromMs)).toEqual([t0, t0 + hour, t0 + 2 * hour]);
    expect(await listWindowIds(store, 'phishing', { fromMs: t0 + hour, toMs: t0 + 2 * hour })).toEqual([all[1]]);
    expect((await getWindow(store, 'phishing', all[2]))?.fromMs).toBe(t0 + 2 * hour);
    expect(await getWindow(store, 'phishing', '../../etc/passwd')).toBeUndefined();
    expect(await getWindow(store, 'other', all[0])).toBeUndefined();
  });

  it('files windows by day and finds one that began before a span', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tm-windows-'));
    dirs.push(dir);
    const store = new LocalArtifactStore(dir);
    const midnight = Date.UTC(2026, 10, 30);
    const late = record(midnight - 600_000, midnight + 600_000);
    await saveWindow(store, late);
    await saveWindow(store, record(midnight - 5 * 86_400_000, midnight - 5 * 86_400_000 + 60_000));
    expect(await store.list('monitoring/phishing/windows/2026-11-29/')).toHaveLength(1);
    expect(await listWindowIds(store, 'phishing', { fromMs: midnight, toMs: midnight + 3_600_000 })).toEqual([late.id]);
    expect(await listWindowIds(store, 'phishing')).toHaveLength(2);
    expect(await saveWindow(store, late, { ifAbsent: true })).toEqual({ created: false });
    await expect(saveWindow(store, { ...late, version: 4 })).rejects.toThrow(/does not match/);
    await expect(saveWindow(store, record(midnight, midnight + 8 * 86_400_000))).rejects.toThrow(/at most 7 days/);
  });
});
