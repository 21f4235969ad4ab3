import { afterEach, describe, expect, it } from 'vitest';
import { MlflowClient, MlflowError } from '../core/adapters/mlflow/mlflow-client.js';
import { startFakeMlflow } from './helpers/fake-mlflow.js';

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
      [100, 1000],
      [100, 1000],
      [50, 100],
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
    expect(await client.registerVersion('phishing', 'runs:/r1/model', 'r1', 'production')).toBe('1');
    expect(await client.registerVersion('phishing', 'runs:/r2/model', 'r2')).toBe('2');
    expect(server.models.get('phishing')?.aliases).toEqual({ production: '1' });
    await server.stop();
    server = await startFakeMlflow({ registry: false });
    expect(await new MlflowClient(server.uri).hasRegistry()).toBe(false);
    await expect(new MlflowClient(server.uri).registerVersion('m', 's', 'r')).rejects.toBeInstanceOf(MlflowError);
  });
});
