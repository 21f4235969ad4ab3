import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Papa from 'papaparse';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { predictCommand } from '../api/cli/predict-command.js';
import { LocalArtifactStore } from '../core/adapters/local-artifact-store.js';
import type { ArtifactRegistry } from '../core/registry/artifact-registry.js';
import { loadConfig } from '../schema/config.js';
import type { DatasetSchemaInput } from '../schema/index.js';
import { repoPath } from './helpers/datasets.js';
import { registerFitted } from './helpers/fitted-model.js';
import { testPrefix } from './helpers/redis.js';
import { watchLoopBlocking } from './helpers/loop-blocking.js';
import { startBatchApi } from './helpers/served.js';

interface Explanation {
  output: string;
  class: string;
  baseValue: number;
  outputValue: number;
  contributions: { feature: string; contribution: number }[];
}
type Status = { state: string; progress: number; chunks: { total: number; done: number }; counts: { scored: number }; explain?: { top: number; output: string; class: string | null }; results?: string; failedReason?: string };

describe('async batches with explain, through the API, the predict worker and the real Redis', () => {
  const KEY = 'explain-key';
  const prefixes = { gb: testPrefix('batch-explain'), mlp: testPrefix('batch-explain-mlp') };
  let dir: string;
  let registry: ArtifactRegistry;
  let gb: Awaited<ReturnType<typeof startBatchApi>>;
  let mlp: Awaited<ReturnType<typeof startBatchApi>>;
  let header: string[];
  let lines: string[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-batch-explain-'));
    const store = new LocalArtifactStore(dir);
    const schema = parseYaml(await readFile(repoPath('schema/phishing.yaml'), 'utf8')) as DatasetSchemaInput;
    const csv = repoPath('data/phishing.csv');
    ({ registry } = await registerFitted(store, { name: 'phishing', csv, schema, kind: 'gradient_boosting', params: { maxIter: 30 } }));
    await registerFitted(store, { name: 'phishing-mlp', csv, schema, kind: 'mlp', params: { hiddenLayers: [4], maxEpochs: 2 } });
    // 1,000 rows per explained chunk: 2,500 rows make 3 chunk jobs.
    gb = await startBatchApi(store, registry, { prefix: prefixes.gb, key: KEY, explainRowsPerChunk: 1_000 });
    mlp = await startBatchApi(store, registry, { prefix: prefixes.mlp, key: KEY, model: 'phishing-mlp' });
    const [head, ...rest] = (await readFile(csv, 'utf8')).trim().split(/\r?\n/);
    header = head.replaceAll('"', '').split(',');
    lines = rest.slice(0, 2_500);
  }, 300_000);
  afterAll(async () => {
    await gb?.close();
    await mlp?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const auth = { authorization: `Bearer ${KEY}` };
  const upload = (base: string, query: string, body = `${header.join(',')}\n${lines.join('\n')}\n`, type = 'text/csv') =>
    fetch(`${base}/v1/batches${query}`, { method: 'POST', headers: { ...auth, 'content-type': type }, body });
  async function finished(id: string, progress: number[] = []): Promise<Status> {
    for (let i = 0; i < 1200; i++) {
      const s = (await (await fetch(`${gb.base}/v1/batches/${id}`, { headers: auth })).json()) as Status;
      progress.push(s.progress);
      if (s.state === 'completed' || s.state === 'failed') return s;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`batch ${id} did not finish`);
  }
  const records = (from: number, to: number) => lines.slice(from, to).map((l) => Object.fromEntries(header.slice(0, 30).map((h, j) => [h, Number(l.split(',')[j])])));

  it('writes explain_base, each rank\'s feature and contribution and explain_output; the top k are /v1/predict/batch\'s', async () => {
    // The worker shares this process: explaining a 1,000-row chunk inline would hold its loop for seconds.
    const watch = watchLoopBlocking();
    const res = await upload(gb.base, '?explain=4');
    expect(res.status).toBe(202);
    const accepted = (await res.json()) as { batchId: string; chunks: number };
    expect(accepted.chunks).toBe(3);
    const progress: number[] = [];
    const status = await finished(accepted.batchId, progress);
    const { holdMs, wallMs } = watch.stop();
    // Chunks done plus the running chunk's share explained: it only moves forward, and 1 means completed.
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.slice(0, -1).every((p) => p < 1)).toBe(true);
    expect(holdMs, `longest hold of the loop: ${holdMs.toFixed(0)} ms (monitorEventLoopDelay max, load included: ${wallMs.toFixed(0)} ms)`).toBeLessThan(100);
    expect(status).toMatchObject({ state: 'completed', counts: { scored: 2_500 }, explain: { top: 4, output: 'margin', class: '-1' } });

    const [head, ...rows] = Papa.parse<string[]>((await (await fetch(`${gb.base}${status.results}`, { headers: auth })).text()).trim(), { delimiter: ',' }).data;
    const ranks = [1, 2, 3, 4].flatMap((r) => [`explain_${r}_feature`, `explain_${r}_contribution`]);
    expect(head.slice(-11)).toEqual(['explain_base', ...ranks, 'explain_output', 'error']);
    expect(rows).toHaveLength(2_500);
    const at = (name: string) => head.indexOf(name);

    // Rows from every chunk, scored by the synchronous route with the same k.
    const sync = (await (
      await fetch(`${gb.base}/v1/predict/batch`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ rows: records(0, 2_500), explain: { top: 4 } }) })
    ).json()) as { predictions: { explanation: Explanation }[] };
    sync.predictions.forEach(({ explanation: e }, i) => {
      const row = rows[i];
      expect(Number(row[at('explain_base')])).toBe(e.baseValue);
      expect(Number(row[at('explain_output')])).toBe(e.outputValue);
      expect([1, 2, 3, 4].map((r) => row[at(`explain_${r}_feature`)])).toEqual(e.contributions.map((c) => c.feature));
      expect([1, 2, 3, 4].map((r) => Number(row[at(`explain_${r}_contribution`)]))).toEqual(e.contributions.map((c) => c.contribution));
    });
    // A plain batch of the same rows has none of the columns.
    const plain = (await (await upload(gb.base, '')).json()) as { batchId: string };
    const plainStatus = await finished(plain.batchId);
    expect(plainStatus.explain).toBeUndefined();
    const plainHead = (await (await fetch(`${gb.base}${plainStatus.results}`, { headers: auth })).text()).split('\n')[0];
    expect(plainHead).not.toMatch(/explain_/);
  }, 300_000);

  it('takes explain for JSON rows too', async () => {
    const res = await upload(gb.base, '?explain=30', JSON.stringify({ rows: records(0, 3) }), 'application/json');
    expect(res.status).toBe(202);
    const status = await finished(((await res.json()) as { batchId: string }).batchId);
    expect(status).toMatchObject({ state: 'completed', explain: { top: 30 } });
    const head = (await (await fetch(`${gb.base}${status.results}`, { headers: auth })).text()).split('\n')[0].split(',');
    expect(head.filter((h) => h.startsWith('explain_'))).toHaveLength(62);
  }, 120_000);

  it('refuses a bad explain value with a 400 naming explain, before storing anything', async () => {
    const store = new LocalArtifactStore(dir);
    const batches = async () => (await store.list('batches/')).filter((k) => k.endsWith('batch.json')).length;
    const before = await batches();
    for (const bad of ['0', '31', '-2', '2.5', 'abc', '']) {
      const res = await upload(gb.base, `?explain=${bad}`);
      expect(res.status, `explain=${bad}`).toBe(400);
      const body = (await res.json()) as { error: { code: string; message: string; details: { field: string; rule: string }[] } };
      expect(body.error.code).toBe('invalid_explain');
      expect(body.error.details[0]).toMatchObject({ field: 'explain', rule: 'integer-range' });
      expect(body.error.message).toMatch(/from 1 to 30/);
    }
    const json = await upload(gb.base, '?explain=0', JSON.stringify({ rows: records(0, 1) }), 'application/json');
    expect(json.status).toBe(400);
    expect(await batches()).toBe(before);
  });

  it('refuses an explained batch on an MLP model with a 422 naming the family; a plain one is accepted', async () => {
    const res = await upload(mlp.base, '?explain=3');
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: { code: string; message: string; details: { field: string; rule: string }[] } };
    expect(body.error.code).toBe('not_explainable');
    expect(body.error.message).toMatch(/^mlp models are not explained/);
    expect(body.error.details[0]).toMatchObject({ field: 'explain', rule: 'explainable-model' });
    expect((await upload(mlp.base, '')).status).toBe(202);
  });

  it('threatmatrix predict --explain k writes the columns and says what they explain', async () => {
    const input = join(dir, 'in.csv');
    const output = join(dir, 'out.csv');
    await writeFile(input, `${header.join(',')}\n${lines.slice(0, 20).join('\n')}\n`);
    const out: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const config = loadConfig({});
    try {
      expect(await predictCommand([input, '-o', output, '--explain', '2', '--url', gb.base, '--key', KEY], config)).toBe(0);
      expect(await predictCommand([input, '-o', output, '--explain', 'two', '--url', gb.base, '--key', KEY], config)).toBe(2);
    } finally {
      write.mockRestore();
      err.mockRestore();
    }
    expect(out.join('')).toContain("explained: the 2 largest contributions to class -1's margin (log-odds), before calibration (explain_* columns)");
    const [head, ...rows] = (await readFile(output, 'utf8')).trim().split('\n').map((l) => l.split(','));
    expect(head.slice(-7)).toEqual(['explain_base', 'explain_1_feature', 'explain_1_contribution', 'explain_2_feature', 'explain_2_contribution', 'explain_output', 'error']);
    expect(rows).toHaveLength(20);
    for (const r of rows) expect(header.slice(0, 30)).toContain(r[head.indexOf('explain_1_feature')]);
  }, 120_000);
});
