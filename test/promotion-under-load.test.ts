import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../api/app.js';
import { ModelHolder } from '../api/serving/model-holder.js';
import { LocalArtifactStore } from '../core/adapters/local-artifact-store.js';
import type { ArtifactRegistry } from '../core/registry/artifact-registry.js';
import { repoPath } from './helpers/datasets.js';
import { listen, trainPhishing } from './helpers/served.js';

/** `connections` loops posting predictions until `stop()`; every answer's status and model version is kept. */
function loadLoop(base: string, body: string, key: string, connections: number) {
  const answers: { at: number; status: number; version?: number }[] = [];
  let running = true;
  const loops = Array.from({ length: connections }, async () => {
    while (running) {
      try {
        const res = await fetch(`${base}/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body });
        const json = (await res.json()) as { modelVersion?: number };
        answers.push({ at: performance.now(), status: res.status, version: json.modelVersion });
      } catch {
        answers.push({ at: performance.now(), status: 0 });
      }
    }
  });
  return {
    answers,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

describe('promotion under load', () => {
  const KEY = 'admin-key';
  let dir: string;
  let registry: ArtifactRegistry;
  let store: LocalArtifactStore;
  let body: string;
  const servers: Awaited<ReturnType<typeof listen>>[] = [];
  const holders: ModelHolder[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-promote-'));
    store = new LocalArtifactStore(dir);
    registry = await trainPhishing(store, 'load-run-1', ['decision_tree']);
    await trainPhishing(store, 'load-run-2', ['logistic_regression']);
    await registry.changeAlias('phishing', 'production', { action: 'promote', version: 1, by: 'test', why: 'start on v1' });
    const [head, line] = (await readFile(repoPath('data/phishing.csv'), 'utf8')).split('\n');
    const names = head.replaceAll('"', '').split(',').slice(0, 30);
    body = JSON.stringify({ features: Object.fromEntries(names.map((n, j) => [n, Number(line.split(',')[j])])) });
    // Two API processes' worth: the one that gets the promote call, and one that only polls the registry.
    for (let i = 0; i < 2; i++) {
      const models = new ModelHolder('phishing', registry, store);
      await models.refresh();
      if (i === 1) models.startPolling(100);
      holders.push(models);
      servers.push(await listen(buildApp({ models, registry, redisOk: async () => true, keys: { predict: [], admin: [KEY] } }).fetch));
    }
  });
  afterAll(async () => {
    for (const h of holders) h.stop();
    await Promise.all(servers.map((s) => s.close()));
    await rm(dir, { recursive: true, force: true });
  });

  it('swaps the served model with no failed request, here and in a server that polls the registry', async () => {
    expect(await registry.versions('phishing')).toHaveLength(2);
    const loads = servers.map((s) => loadLoop(s.base, body, KEY, 8));
    await new Promise((r) => setTimeout(r, 700));
    const promote = await fetch(`${servers[0].base}/v1/models/2/promote`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` } });
    expect(promote.status).toBe(200);
    const promotedAt = performance.now();
    await new Promise((r) => setTimeout(r, 1_000));
    await Promise.all(loads.map((l) => l.stop()));

    for (const [i, { answers }] of loads.entries()) {
      expect(answers.length).toBeGreaterThan(100);
      expect(answers.filter((a) => a.status !== 200)).toEqual([]);
      const versions = answers.map((a) => a.version);
      expect(new Set(versions)).toEqual(new Set([1, 2]));
      // Once a request has seen v2, none after it sees v1 again.
      expect(versions.slice(versions.indexOf(2)).every((v) => v === 2)).toBe(true);
      // The promoted server switches at once; the polling one within its poll interval (plus slack).
      const firstV2 = answers.find((a) => a.version === 2)!.at - promotedAt;
      expect(firstV2).toBeLessThan(i === 0 ? 200 : 800);
    }
  });
});
