import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../core/adapters/local-artifact-store.js';
import { S3ArtifactStore } from '../core/adapters/s3-artifact-store.js';
import type { ArtifactStore } from '../core/ports/artifact-store.js';
import { ArtifactRegistry } from '../core/registry/artifact-registry.js';
import { startConditionalS3 } from './helpers/conditional-s3.js';
import { repoPath } from './helpers/datasets.js';

type Outcome = { by: string; action: string; changed: true; seq: number; from: number | null; to: number | null } | { by: string; action: string; changed: false; reason: string };

const PROCESSES = 3;
const CALLS = [17, 17, 16];

/** Starts the churn processes, lets them go at once, and returns every call's outcome. */
async function churn(where: string): Promise<Outcome[]> {
  const children = CALLS.map((n, p) =>
    spawn(process.execPath, ['--import', 'tsx', repoPath('test/helpers/alias-churn.ts'), where, `p${p}`, String(n)], { cwd: repoPath(''), stdio: ['pipe', 'pipe', 'pipe'] }),
  );
  const outcomes: Outcome[] = [];
  const stderr: string[] = [];
  const ready = children.map(
    (c) =>
      new Promise<void>((resolve) => {
        c.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
        createInterface({ input: c.stdout! }).on('line', (line) => (line === 'ready' ? resolve() : outcomes.push(JSON.parse(line) as Outcome)));
      }),
  );
  const exited = children.map((c) => new Promise<number | null>((resolve) => c.on('close', resolve)));
  await Promise.all(ready);
  for (const c of children) c.stdin!.end('go\n');
  const codes = await Promise.all(exited);
  expect(codes, stderr.join('')).toEqual(children.map(() => 0));
  return outcomes;
}

/** `where`: the store as alias-churn.ts takes it (a directory, or `s3://bucket@endpoint`). */
async function checkHistory(store: ArtifactStore, where: string): Promise<void> {
  const registry = new ArtifactRegistry(store);
  for (const r of ['seed-1', 'seed-2', 'seed-3']) await registry.register('churn', { kind: 'pipeline', version: 1, params: {}, state: {} }, { runId: r, family: 'x', params: {}, metrics: {}, schemaHash: 'h', dataDigest: 'd' });
  await registry.changeAlias('churn', 'production', { action: 'auto-promote', version: 1, by: 'seed', why: 'start' });
  await registry.changeAlias('churn', 'production', { action: 'auto-promote', version: 2, by: 'seed', why: 'start' });

  const outcomes = await churn(where);
  expect(outcomes).toHaveLength(50);
  const changed = outcomes.filter((o): o is Extract<Outcome, { changed: true }> => o.changed);
  const state = await registry.aliasState('churn', 'production');
  const events = state.events.slice(2);
  // Every change a caller was told about is in the history, under the number it was told, and nothing else is.
  expect(events.map((e) => `${e.seq} ${e.by} ${e.action} ${e.from}->${e.to}`)).toEqual(
    changed.sort((a, b) => a.seq - b.seq).map((o) => `${o.seq} ${o.by} ${o.action} ${o.from}->${o.to}`),
  );
  // In order, with no gap, each starting where the one before ended.
  expect(state.events.map((e) => e.seq)).toEqual(state.events.map((_, i) => i + 1));
  state.events.slice(1).forEach((e, i) => expect(e.from, `event ${e.seq}`).toBe(state.events[i].to));
  // Each process's own calls appear in the order it made them.
  for (let p = 0; p < PROCESSES; p++) {
    const mine = events.filter((e) => e.by.startsWith(`p${p}#`)).map((e) => Number(e.by.split('#')[1]));
    expect(mine).toEqual([...mine].sort((a, b) => a - b));
  }
  // The alias is its last entry, through the cheap path servers poll and through the replayed log.
  expect(await registry.alias('churn', 'production')).toBe(state.events.at(-1)!.to);
  expect(state.version).toBe(state.events.at(-1)!.to);
  // Refusals are only the rule's: nothing to roll back to, a pin, or production moved since the run compared.
  for (const o of outcomes) if (!o.changed) expect(o.reason).toMatch(/no earlier production version|pinned at|production moved from/);
  // Versions: one per run, numbered without a gap.
  const versions = await registry.versions('churn');
  expect(versions.map((v) => v.version)).toEqual(versions.map((_, i) => i + 1));
  expect(new Set(versions.map((v) => v.runId)).size).toBe(versions.length);
  expect(versions.length).toBe(3 + outcomes.filter((o) => o.action === 'auto-promote').length);
  // The mix did exercise every kind of change.
  expect(new Set(changed.map((o) => o.action))).toEqual(new Set(['promote', 'rollback', 'auto-promote', 'unpin']));
}

describe('alias changes from 3 processes at once', () => {
  it('local disk: 50 interleaved promote / rollback / register calls lose no change', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tm-churn-'));
    try {
      await checkHistory(new LocalArtifactStore(dir), dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  describe('an S3 endpoint that enforces conditional writes', () => {
    let s3: Awaited<ReturnType<typeof startConditionalS3>>;
    beforeAll(async () => {
      s3 = await startConditionalS3('churn-bucket');
    });
    afterAll(() => s3.stop());

    it('enforces If-None-Match: * and If-Match, as S3 does', async () => {
      const store = new S3ArtifactStore(s3.client, 'churn-bucket', 'direct');
      expect(await store.put('a.json', '1', { ifAbsent: true })).toEqual({ created: true });
      expect(await store.put('a.json', '2', { ifAbsent: true })).toEqual({ created: false });
      expect(new TextDecoder().decode(await store.get('a.json'))).toBe('1');
      const put = (IfMatch: string, Body: string) => s3.client.send(new PutObjectCommand({ Bucket: 'churn-bucket', Key: 'direct/b.json', Body, IfMatch }));
      const { ETag } = await s3.client.send(new PutObjectCommand({ Bucket: 'churn-bucket', Key: 'direct/b.json', Body: 'x' }));
      await expect(put('"not-the-etag"', 'y')).rejects.toMatchObject({ $metadata: { httpStatusCode: 412 } });
      const second = await put(ETag!, 'y');
      await expect(put(ETag!, 'z')).rejects.toMatchObject({ $metadata: { httpStatusCode: 412 } });
      await put(second.ETag!, 'z');
      expect(new TextDecoder().decode(await store.get('b.json'))).toBe('z');
      expect(await store.list('')).toEqual(['a.json', 'b.json']);
    });

    it('50 interleaved promote / rollback / register calls lose no change', async () => {
      const before = s3.requests.length;
      await checkHistory(new S3ArtifactStore(s3.client, 'churn-bucket'), `s3://churn-bucket@${s3.endpoint}`);
      // The processes did race: some create-if-absent writes lost (412) and were decided again.
      expect(s3.requests.slice(before).filter((r) => r.status === 412).length).toBeGreaterThan(0);
    }, 120_000);
  });
});
