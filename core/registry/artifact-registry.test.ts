import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../adapters/local-artifact-store.js';
import { putJson } from '../artifacts/json.js';
import { ArtifactRegistry } from './artifact-registry.js';

const model = { kind: 'pipeline', version: 1, params: {}, state: { x: 1 } };
const info = (runId: string) => ({ runId, family: 'gradient_boosting', params: {}, metrics: { f1: 0.97 }, schemaHash: 'h', dataDigest: 'd' });

describe('ArtifactRegistry', () => {
  let dir: string;
  let reg: ArtifactRegistry;
  let store: LocalArtifactStore;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-reg-'));
    store = new LocalArtifactStore(dir);
    reg = new ArtifactRegistry(store);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('numbers versions, once per run, even when runs race', async () => {
    const many = await Promise.all(['a', 'b', 'c', 'd'].map((r) => reg.register('phishing', model, info(r))));
    expect(many.map((m) => m.version).sort()).toEqual([1, 2, 3, 4]);
    const again = await reg.register('phishing', model, info('c'));
    expect(again.version).toBe(many[2].version);
    expect((await reg.versions('phishing')).map((v) => v.runId)).toHaveLength(4);
    expect(await reg.names()).toEqual(['phishing']);
  });

  it('hides a version whose manifest was never written and lets its run finish it', async () => {
    await putJson(store, 'models/phishing/v1/claim.json', { runId: 'crashed' });
    await putJson(store, 'models/phishing/v1/model.json', model);
    expect(await reg.versions('phishing')).toEqual([]);
    expect(await reg.get('phishing', 1)).toBeUndefined();
    const other = await reg.register('phishing', model, info('other'));
    expect(other.version).toBe(2);
    const done = await reg.register('phishing', model, info('crashed'));
    expect(done.version).toBe(1);
    expect((await reg.versions('phishing')).map((v) => v.version)).toEqual([1, 2]);
  });

  it('keeps aliases and resolves them', async () => {
    await reg.register('phishing', model, info('a'));
    await reg.register('phishing', model, info('b'));
    await reg.changeAlias('phishing', 'production', { action: 'promote', version: 2, by: 'test', why: 'b is better' });
    expect(await reg.alias('phishing', 'production')).toBe(2);
    expect((await reg.get('phishing', 'production'))?.manifest.runId).toBe('b');
    expect((await reg.get('phishing', 'v1'))?.manifest.runId).toBe('a');
    await expect(reg.changeAlias('phishing', 'production', { action: 'promote', version: 9, by: 'test', why: '' })).rejects.toThrow(/no version 9/);
  });

  it('audits every change, walks rollback back through history, and pins on manual changes', async () => {
    for (const r of ['a', 'b', 'c', 'd']) await reg.register('phishing', model, info(r));
    const auto = (version: number) => reg.changeAlias('phishing', 'production', { action: 'auto-promote', version, by: `run:${version}`, why: 'f1 rule' });
    const rollback = () => reg.changeAlias('phishing', 'production', { action: 'rollback', by: 'api:ops', why: 'bad alerts' });
    expect((await auto(1)).changed).toBe(true);
    await auto(2);
    await auto(3);
    // Rollback walks back: 3 -> 2 -> 1, not a toggle between the last two.
    expect(await rollback()).toMatchObject({ changed: true, event: { from: 3, to: 2, pinned: true, by: 'api:ops', why: 'bad alerts' } });
    expect(await rollback()).toMatchObject({ changed: true, event: { from: 2, to: 1 } });
    expect(await rollback()).toMatchObject({ changed: false, reason: 'there is no earlier production version' });
    // Pinned by the rollback: a run's promotion is refused and production stays.
    expect(await auto(4)).toMatchObject({ changed: false, reason: expect.stringContaining('pinned at v1 by api:ops') });
    expect(await reg.alias('phishing', 'production')).toBe(1);
    await reg.changeAlias('phishing', 'production', { action: 'unpin', by: 'cli:me', why: 'fixed' });
    expect(await auto(4)).toMatchObject({ changed: true, event: { from: 1, to: 4, pinned: false } });
    const state = await reg.aliasState('phishing', 'production');
    expect(state.events.map((e) => `${e.seq} ${e.action} ${e.from}->${e.to} ${e.by}`)).toEqual([
      '1 auto-promote null->1 run:1',
      '2 auto-promote 1->2 run:2',
      '3 auto-promote 2->3 run:3',
      '4 rollback 3->2 api:ops',
      '5 rollback 2->1 api:ops',
      '6 unpin 1->1 cli:me',
      '7 auto-promote 1->4 run:4',
    ]);
    expect(state).toMatchObject({ version: 4, pinned: false, stack: [1, 4] });
  });

  it('loses no change when many writers race: the history holds every one, in order, and the alias is the last', async () => {
    for (const r of ['a', 'b', 'c']) await reg.register('phishing', model, info(r));
    const writers = Array.from({ length: 30 }, (_, i) => reg.changeAlias('phishing', 'production', { action: 'promote', version: (i % 3) + 1, by: `w${i}`, why: '' }));
    const results = await Promise.all(writers);
    expect(results.every((r) => r.changed)).toBe(true);
    const state = await reg.aliasState('phishing', 'production');
    expect(state.events.map((e) => e.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(new Set(state.events.map((e) => e.by)).size).toBe(30);
    // Each event starts where the one before it ended.
    state.events.slice(1).forEach((e, i) => expect(e.from).toBe(state.events[i].to));
    expect(await reg.alias('phishing', 'production')).toBe(state.events.at(-1)!.to);
  });

  it('keeps the hashes of the rows a version was fitted on, sorted', async () => {
    await reg.register('phishing', model, info('a'), Float64Array.of(30, 10, 20));
    await reg.register('phishing', model, info('b'));
    expect(Array.from((await reg.trainingRows('phishing', 1))!)).toEqual([10, 20, 30]);
    expect(await reg.trainingRows('phishing', 2)).toBeUndefined();
  });

  it("refuses a run's promotion when production moved after the run compared with it", async () => {
    for (const r of ['a', 'b', 'c']) await reg.register('phishing', model, info(r));
    await reg.changeAlias('phishing', 'production', { action: 'auto-promote', version: 1, expected: null, by: 'run:a', why: '' });
    // A person promotes v2 while run c (compared with v1) is finishing.
    await reg.changeAlias('phishing', 'production', { action: 'promote', version: 2, by: 'api:ops', why: '' });
    await reg.changeAlias('phishing', 'production', { action: 'unpin', by: 'api:ops', why: '' });
    const late = await reg.changeAlias('phishing', 'production', { action: 'auto-promote', version: 3, expected: 1, by: 'run:c', why: '' });
    expect(late).toMatchObject({ changed: false, reason: 'production moved from v1 to v2 since v3 was compared with it' });
    expect(await reg.alias('phishing', 'production')).toBe(2);
    expect(await reg.changeAlias('phishing', 'production', { action: 'auto-promote', version: 3, expected: 2, by: 'run:c', why: '' })).toMatchObject({ changed: true });
  });

  it('starts a change from the head snapshot, reading only the events after it, even when the head is behind', async () => {
    for (const r of ['a', 'b', 'c']) await reg.register('phishing', model, info(r));
    const auto = (version: number, by = 'run') => reg.changeAlias('phishing', 'production', { action: 'auto-promote', version, by, why: '' });
    await auto(1);
    const stale = await store.get('models/phishing/aliases/production.head.json');
    for (let i = 0; i < 20; i++) await auto((i % 2) + 2);
    const read: string[] = [];
    const counting = Object.assign(Object.create(store) as LocalArtifactStore, { get: (k: string) => (read.push(k), store.get(k)) });
    const r = await new ArtifactRegistry(counting).changeAlias('phishing', 'production', { action: 'rollback', by: 'ops', why: '' });
    expect(r).toMatchObject({ changed: true, event: { seq: 22, from: 3, to: 2 } });
    expect(read.filter((k) => /\/\d+\.json$/.test(k))).toEqual([]);
    // A racing writer's late head write leaves the head behind the log: the events after it are replayed.
    await store.put('models/phishing/aliases/production.head.json', stale!);
    read.length = 0;
    expect(await new ArtifactRegistry(counting).changeAlias('phishing', 'production', { action: 'rollback', by: 'ops', why: '' })).toMatchObject({ changed: true, event: { seq: 23, from: 2, to: 3 } });
    expect(read.filter((k) => /\/\d+\.json$/.test(k))).toHaveLength(21);
    const state = await reg.aliasState('phishing', 'production');
    expect(state).toMatchObject({ seq: 23, version: 3, pinned: true });
    expect(state.events).toHaveLength(23);
  });

  it('takes a create whose answer was lost (a client retry meets its own write: 412) as done, not as a lost race', async () => {
    await reg.register('phishing', model, info('a'));
    const retrying = Object.assign(Object.create(store) as LocalArtifactStore, {
      put: async (k: string, body: string, opts?: { ifAbsent?: boolean }) => {
        const r = await store.put(k, body, opts);
        return opts?.ifAbsent && /\/\d+\.json$/.test(k) ? { created: false } : r;
      },
    });
    const r = await new ArtifactRegistry(retrying).changeAlias('phishing', 'production', { action: 'promote', version: 1, by: 'ops', why: '' });
    expect(r).toMatchObject({ changed: true, event: { seq: 1 } });
    expect((await reg.aliasState('phishing', 'production')).events).toHaveLength(1);
  });

  it('reads the history a store kept before the audit log', async () => {
    for (const r of ['a', 'b']) await reg.register('phishing', model, info(r));
    await putJson(store, 'models/phishing/aliases/production.history.json', [{ version: 1, at: 't1' }, { version: 2, at: 't2' }]);
    expect(await reg.alias('phishing', 'production')).toBe(2);
    expect(await reg.changeAlias('phishing', 'production', { action: 'rollback', by: 'x', why: '' })).toMatchObject({ changed: true, event: { from: 2, to: 1 } });
    expect(await reg.alias('phishing', 'production')).toBe(1);
  });
});
