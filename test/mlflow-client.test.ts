import { afterEach, describe, expect, it } from 'vitest';
import { proxiedArtifactUrl } from '../core/adapters/mlflow/artifact-uri.js';
import { MlflowClient, MlflowError, splitBatch } from '../core/adapters/mlflow/mlflow-client.js';
import { startFakeMlflow } from './helpers/fake-mlflow.js';
import { checkMessage, MLFLOW_REQUESTS } from './helpers/mlflow-proto.js';

describe('MLflow REST client against an MLflow-shaped HTTP server', () => {
  let server: Awaited<ReturnType<typeof startFakeMlflow>>;
  afterEach(() => server?.stop());

  it('gets or creates the experiment, with Basic auth on every call', async () => {
    server = await startFakeMlflow();
    const client = new MlflowClient(server.uri, { username: 'ana', password: 's3cret' });
    const id = await client.getOrCreateExperiment('threatmatrix');
    expect(await client.getOrCreateExperiment('threatmatrix')).toBe(id);
    expect(server.requests.map((r) => `${r.method} ${r.path.split('?')[0]}`)).toEqual([
      'GET /api/2.0/mlflow/experiments/get-by-name',
      'POST /api/2.0/mlflow/experiments/create',
      'GET /api/2.0/mlflow/experiments/get-by-name',
    ]);
    const basic = `Basic ${Buffer.from('ana:s3cret').toString('base64')}`;
    expect(server.requests.every((r) => r.authorization === basic)).toBe(true);
  });

  it('uses a bearer token when no username is given', async () => {
    server = await startFakeMlflow();
    await new MlflowClient(server.uri, { token: 'tok' }).getOrCreateExperiment('x');
    expect(server.requests[0].authorization).toBe('Bearer tok');
  });

  it('chunks log-batch to the API limits, and re-logging equal params on a retry is fine', async () => {
    server = await startFakeMlflow();
    const client = new MlflowClient(server.uri);
    const exp = await client.getOrCreateExperiment('e');
    const { runId } = await client.createRun(exp, 'run', { 'mlflow.source.git.commit': 'abc' });
    const params = Object.fromEntries(Array.from({ length: 250 }, (_, i) => [`p${i}`, String(i)]));
    const metrics = Array.from({ length: 2100 }, (_, i) => ({ key: 'loss', value: 1 / (i + 1), timestamp: 1, step: i }));
    expect(await client.logBatch(runId, { params, metrics })).toBe(3);
    const batches = server.requests.filter((r) => r.path.endsWith('runs/log-batch')).map((r) => r.body as { params: unknown[]; metrics: unknown[] });
    expect(batches.map((b) => [b.params.length, b.metrics.length])).toEqual([
      [100, 900],
      [100, 900],
      [50, 300],
    ]);
    await client.logBatch(runId, { params: { p1: '1' } });
    await expect(client.logBatch(runId, { params: { p1: 'changed' } })).rejects.toMatchObject({ status: 400, errorCode: 'INVALID_PARAMETER_VALUE' });
    expect(server.runs.get(runId)?.tags['mlflow.source.git.commit']).toBe('abc');
  });

  it('retries 5xx answers, uploads proxied artifacts and ends the run', async () => {
    server = await startFakeMlflow({ failFirst: 2 });
    const client = new MlflowClient(server.uri, {}, { retries: 2 });
    const exp = await client.getOrCreateExperiment('e');
    const { runId, artifactUri } = await client.createRun(exp, 'run');
    expect(await client.uploadArtifact(artifactUri, 'evaluate/metrics.json', '{"f1":0.97}')).toBe(true);
    expect(await client.uploadArtifact('s3://bucket/x', 'a.json', '{}')).toBe(false);
    await client.updateRun(runId, 'FINISHED');
    expect([...server.artifacts.keys()]).toEqual([`${exp}/${runId}/artifacts/evaluate/metrics.json`]);
    expect(server.runs.get(runId)?.status).toBe('FINISHED');
  });

  it('registers versions with an alias, and probes servers without a registry', async () => {
    server = await startFakeMlflow();
    const client = new MlflowClient(server.uri);
    expect(await client.hasRegistry()).toBe(true);
    const exp = await client.getOrCreateExperiment('e');
    const runs = [await client.createRun(exp, 'a'), await client.createRun(exp, 'b')];
    for (const r of runs) await client.uploadArtifact(r.artifactUri, 'model/MLmodel', 'artifact_path: model\n');
    expect(await client.registerVersion('phishing', `runs:/${runs[0].runId}/model`, runs[0].runId, { alias: 'production', tags: { 'threatmatrix.version': '1' } })).toBe('1');
    expect(await client.registerVersion('phishing', `runs:/${runs[1].runId}/model`, runs[1].runId)).toBe('2');
    expect(server.models.get('phishing')?.aliases).toEqual({ production: '1' });
    expect(server.models.get('phishing')?.versions.map((v) => v.tags)).toEqual([{ 'threatmatrix.version': '1' }, {}]);
    expect(server.rejected).toEqual([]);
    await server.stop();
    server = await startFakeMlflow({ registry: false });
    expect(await new MlflowClient(server.uri).hasRegistry()).toBe(false);
    await expect(new MlflowClient(server.uri).registerVersion('m', 's', 'r')).rejects.toBeInstanceOf(MlflowError);
  });

  it('never puts more than 1,000 items in one log-batch call, nor more than 100 params or 100 tags', async () => {
    server = await startFakeMlflow();
    const client = new MlflowClient(server.uri);
    const { runId } = await client.createRun(await client.getOrCreateExperiment('e'), 'run');
    const params = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`p${i}`, 'v']));
    const tags = Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`t${i}`, 'v']));
    const metrics = Array.from({ length: 950 }, (_, i) => ({ key: 'm', value: i, timestamp: 1, step: i }));
    const calls = await client.logBatch(runId, { params, tags, metrics });
    const sizes = server.requests.filter((r) => r.path.endsWith('runs/log-batch')).map((r) => r.body as { params: unknown[]; tags: unknown[]; metrics: unknown[] });
    expect(sizes.map((b) => [b.params.length, b.tags.length, b.metrics.length])).toEqual([
      [100, 100, 800],
      [50, 20, 150],
    ]);
    expect(calls).toBe(2);
    expect(server.rejected).toEqual([]);
    expect(server.runs.get(runId)?.metrics).toHaveLength(950);
    // The split alone: every item once, in order.
    const split = splitBatch(Array.from({ length: 2500 }, (_, i) => i), [1, 2], []);
    expect(split.map((c) => c.metrics.length)).toEqual([998, 1000, 502]);
    expect(split.flatMap((c) => c.metrics)).toEqual(Array.from({ length: 2500 }, (_, i) => i));
    // And within MLflow's 1 MB per request: 100 params of 6,000 characters and 100 tags of 5,000 do not fit in one.
    const big = splitBatch([], Array.from({ length: 100 }, (_, i) => ({ key: `p${i}`, value: 'x'.repeat(6000) })), Array.from({ length: 100 }, (_, i) => ({ key: `t${i}`, value: 'y'.repeat(5000) })));
    expect(big.length).toBe(2);
    for (const c of big) expect(JSON.stringify(c).length).toBeLessThan(1_000_000);
    expect(big.flatMap((c) => c.params)).toHaveLength(100);
    expect(big.flatMap((c) => c.tags)).toHaveLength(100);
  });

  it('sends NaN and infinite metric values as protobuf JSON strings, never as null', async () => {
    server = await startFakeMlflow();
    const client = new MlflowClient(server.uri);
    const { runId } = await client.createRun(await client.getOrCreateExperiment('e'), 'run');
    await client.logBatch(runId, { metrics: [NaN, Infinity, -Infinity, 0.5].map((value, step) => ({ key: 'rocAuc', value, timestamp: 1, step })) });
    expect(server.rejected).toEqual([]);
    expect(server.runs.get(runId)?.metrics.map((m) => m.value)).toEqual(['NaN', 'Infinity', '-Infinity', 0.5]);
  });

  it('uploads to the host an mlflow-artifacts://host:port URI names, and under the tracking path for mlflow-artifacts:/path', () => {
    expect(proxiedArtifactUrl('http://mlflow:5000', 'mlflow-artifacts://store.local:6000/1/abc/artifacts', 'model/MLmodel')).toBe('http://store.local:6000/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/model/MLmodel');
    expect(proxiedArtifactUrl('https://dagshub.com/o/r.mlflow', 'mlflow-artifacts:/1/abc/artifacts', 'evaluate/metrics.json')).toBe('https://dagshub.com/o/r.mlflow/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/evaluate/metrics.json');
    expect(proxiedArtifactUrl('http://mlflow:5000/', 'mlflow-artifacts:/a%20b/artifacts', 'x y.json')).toBe('http://mlflow:5000/api/2.0/mlflow-artifacts/artifacts/a%20b/artifacts/x%20y.json');
    expect(proxiedArtifactUrl('http://mlflow:5000', 'mlflow-artifacts:///1/r/artifacts', 'a')).toBe('http://mlflow:5000/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/a');
    expect(proxiedArtifactUrl('http://mlflow:5000', 's3://bucket/1/r/artifacts', 'a')).toBeUndefined();
    expect(() => proxiedArtifactUrl('http://mlflow:5000', 'mlflow-artifacts://:6000/1', 'a')).toThrow(/port without a host/);
    expect(() => proxiedArtifactUrl('http://mlflow:5000', 'mlflow-artifacts://u:pw@h/1', 'a')).toThrow(/credentials/);
    expect(() => proxiedArtifactUrl('http://mlflow:5000', 'mlflow-artifacts:/1/r/artifacts', '../../other/x')).toThrow(/leaves/);
  });

  it('reaches the artifact host of an mlflow-artifacts://host:port run', async () => {
    server = await startFakeMlflow();
    // The tracking URI points nowhere: the upload must go to the host the artifact URI names.
    const client = new MlflowClient('http://127.0.0.1:9', {}, { retries: 0 });
    expect(await client.uploadArtifact(`mlflow-artifacts://127.0.0.1:${server.port}/7/r9/artifacts`, 'model/model.json', '{}')).toBe(true);
    expect([...server.artifacts.keys()]).toEqual(['7/r9/artifacts/model/model.json']);
  });

  it('fails a version whose source holds no MLflow Model instead of aliasing it', async () => {
    server = await startFakeMlflow();
    const client = new MlflowClient(server.uri);
    const { runId } = await client.createRun(await client.getOrCreateExperiment('e'), 'run');
    await expect(client.registerVersion('m', `runs:/${runId}/model`, runId, { alias: 'production', pollMs: 10 })).rejects.toMatchObject({ errorCode: 'FAILED_REGISTRATION' });
    expect(server.models.get('m')?.aliases).toEqual({});
  });
});

describe('the MLflow recording server checks bodies against the protos', () => {
  it('refuses unknown fields, missing required fields, null values and wrong types with 400 INVALID_PARAMETER_VALUE', async () => {
    const server = await startFakeMlflow();
    try {
      const post = (path: string, body: unknown) => fetch(`${server.uri}/api/2.0/mlflow/${path}`, { method: 'POST', body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, body: (await r.json()) as { error_code: string; message: string } }));
      const { runId } = await new MlflowClient(server.uri).createRun(await new MlflowClient(server.uri).getOrCreateExperiment('e'), 'r');
      expect(await post('runs/log-batch', { run_id: runId, metric: [] })).toMatchObject({ status: 400, body: { error_code: 'INVALID_PARAMETER_VALUE', message: expect.stringContaining('metric: unknown field') } });
      expect((await post('runs/log-batch', { run_id: runId, metrics: [{ key: 'a', value: null, timestamp: 1 }] })).body.message).toMatch(/metrics\[0\]\.value: null is not a valid double/);
      expect((await post('runs/log-batch', { run_id: runId, metrics: [{ key: 'a', value: 1 }] })).body.message).toMatch(/metrics\[0\]\.timestamp: missing required field/);
      expect((await post('runs/update', { run_id: runId, status: 'DONE' })).body.message).toMatch(/status: "DONE" is not a valid enum value/);
      expect((await post('runs/log-inputs', { run_id: runId, datasets: [{ dataset: { name: 'd', digest: 'x', source: '{}' } }] })).body.message).toMatch(/dataset\.source_type: missing required field/);
      expect((await post('model-versions/create', { name: 'm' })).body.message).toMatch(/source: missing required field/);
      expect((await fetch(`${server.uri}/api/2.0/mlflow/runs/nothing`, { method: 'POST', body: '{}' })).status).toBe(404);
      expect(server.rejected).toHaveLength(6);
      expect(server.runs.get(runId)?.metrics).toEqual([]);
    } finally {
      await server.stop();
    }
  });

  it('knows every message field as the protos name them', () => {
    expect(checkMessage(MLFLOW_REQUESTS['POST runs/create'], { experiment_id: '1', run_name: 'r', start_time: 1, tags: [{ key: 'k', value: 'v' }] })).toEqual([]);
    expect(checkMessage(MLFLOW_REQUESTS['POST runs/create'], { experiment_id: 1 })).toEqual(['experiment_id: 1 is not a valid string']);
    expect(checkMessage(MLFLOW_REQUESTS['POST runs/update'], { run_id: 'r', status: 'FINISHED', end_time: '1700000000000' })).toEqual([]);
    expect(checkMessage(MLFLOW_REQUESTS['POST registered-models/alias'], { name: 'm', alias: 'production', version: 1 })).toEqual(['version: 1 is not a valid string']);
  });
});
