import type { RunStatus, TrackedRun, Tracker } from '../../ports/tracker.js';
import type { MlflowClient } from './mlflow-client.js';

/** Tracker on an MLflow server: one MLflow run per training run, nested runs per model family. */
export class MlflowTracker implements Tracker {
  readonly kind = 'mlflow';
  private experiment?: Promise<string>;
  private readonly artifactUris = new Map<string, string>();

  /**
   * @param putS3 writes an artifact when a run's artifact URI is `s3://...` (the server stores
   * artifacts in a bucket instead of proxying them)
   */
  constructor(
    private readonly client: MlflowClient,
    private readonly experimentName: string,
    private readonly putS3?: (uri: string, body: Uint8Array | string) => Promise<void>,
  ) {}

  async startRun(opts: { runName: string; tags?: Record<string, string>; parentRunId?: string }): Promise<TrackedRun> {
    this.experiment ??= this.client.getOrCreateExperiment(this.experimentName);
    const tags = { ...opts.tags, ...(opts.parentRunId ? { 'mlflow.parentRunId': opts.parentRunId } : {}) };
    const { runId, artifactUri } = await this.client.createRun(await this.experiment, opts.runName, tags);
    this.artifactUris.set(runId, artifactUri);
    return this.attach(runId, artifactUri);
  }

  /** Registers `runs:/<id>/model` as a version (and `production` alias) when the server has a registry. */
  async registerModel(name: string, run: TrackedRun, production: boolean): Promise<void> {
    if (!(await this.client.hasRegistry())) return;
    await this.client.registerVersion(name, `runs:/${run.id}/model`, run.id, production ? 'production' : undefined);
  }

  attach(id: string, artifactUri = this.artifactUris.get(id) ?? `mlflow-artifacts:/runs/${id}/artifacts`): TrackedRun {
    const { client, putS3 } = this;
    const str = (o: Record<string, string | number | boolean>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, String(v)]));
    return {
      id,
      async logParams(params) {
        await client.logBatch(id, { params: str(params) });
      },
      async logMetrics(metrics, step = 0) {
        const timestamp = Date.now();
        await client.logBatch(id, { metrics: Object.entries(metrics).map(([key, value]) => ({ key, value, timestamp, step })) });
      },
      async setTags(tags) {
        await client.logBatch(id, { tags });
      },
      async logArtifact(path, body) {
        if (await client.uploadArtifact(artifactUri, path, body)) return;
        if (!artifactUri.startsWith('s3://') || !putS3) throw new Error(`cannot write artifacts to ${artifactUri}`);
        await putS3(`${artifactUri.replace(/\/+$/, '')}/${path}`, body);
      },
      async end(status: RunStatus) {
        await client.updateRun(id, status);
      },
    };
  }
}
