import { getJson, putJson } from '../../artifacts/json.js';
import type { ArtifactStore } from '../../ports/artifact-store.js';
import type { RegisteredModelInfo, RunStatus, TrackedRun, Tracker } from '../../ports/tracker.js';
import type { MlflowClient } from './mlflow-client.js';
import { datasetSchemaJson, inputExampleJson, mlmodelYaml } from './mlflow-model.js';

/** Which MLflow version mirrors our version `version` of `name` (kept in the artifact store). */
export interface MlflowVersionRecord {
  name: string;
  version: number;
  mlflowVersion: string;
  runId: string;
  source: string;
}

export const mlflowVersionKey = (name: string, version: number) => `tracking/mlflow/models/${name}/v${version}.json`;

/** Tracker on an MLflow server: one MLflow run per training run, nested runs per model family. */
export class MlflowTracker implements Tracker {
  readonly kind = 'mlflow';
  private experiment?: Promise<string>;
  private registry?: Promise<boolean>;
  private readonly artifactUris = new Map<string, string>();

  /**
   * @param putS3 writes an artifact when a run's artifact URI is `s3://...` (the server stores
   * artifacts in a bucket instead of proxying them)
   * @param store keeps the mapping of our versions to MLflow's (for alias moves from any process)
   */
  constructor(
    private readonly client: MlflowClient,
    private readonly experimentName: string,
    private readonly putS3?: (uri: string, body: Uint8Array | string) => Promise<void>,
    private readonly store?: ArtifactStore,
  ) {}

  async startRun(opts: { runName: string; tags?: Record<string, string>; parentRunId?: string }): Promise<TrackedRun> {
    this.experiment ??= this.client.getOrCreateExperiment(this.experimentName);
    const tags = { ...opts.tags, ...(opts.parentRunId ? { 'mlflow.parentRunId': opts.parentRunId } : {}) };
    const { runId, artifactUri } = await this.client.createRun(await this.experiment, opts.runName, tags);
    this.artifactUris.set(runId, artifactUri);
    return this.attach(runId, artifactUri);
  }

  /** Whether the server has a model registry (probed once; a failed probe is asked again next time). */
  private hasRegistry(): Promise<boolean> {
    this.registry ??= this.client.hasRegistry().catch((err) => {
      this.registry = undefined;
      throw err;
    });
    return this.registry;
  }

  /**
   * Writes the run's `model/` as an MLflow Model (MLmodel with flavor `threatmatrix`, signature,
   * input example; the stage wrote `model/model.json`), registers `runs:/<id>/model` as a version
   * tagged with our version number, points `production` at it when promoted and records the mapping.
   */
  async registerModel(name: string, run: TrackedRun, model: RegisteredModelInfo): Promise<void> {
    // The run's model/ is an MLflow Model whether or not the server has a registry (DagsHub may not).
    const files = { runId: run.id, schema: model.schema, example: model.example, version: model.version };
    await run.logArtifact('model/input_example.json', inputExampleJson(files));
    await run.logArtifact('model/MLmodel', mlmodelYaml(files));
    if (!(await this.hasRegistry())) return;
    // A retried register stage finds its version already mirrored: no second MLflow version.
    const known = this.store ? await getJson<MlflowVersionRecord>(this.store, mlflowVersionKey(name, model.version)) : undefined;
    if (known?.runId === run.id) {
      if (model.production) await this.client.setAlias(name, 'production', known.mlflowVersion);
      return;
    }
    const source = `runs:/${run.id}/model`;
    const mlflowVersion = await this.client.registerVersion(name, source, run.id, { alias: model.production ? 'production' : undefined, tags: { 'threatmatrix.version': String(model.version) } });
    const record: MlflowVersionRecord = { name, version: model.version, mlflowVersion, runId: run.id, source };
    if (this.store) await putJson(this.store, mlflowVersionKey(name, model.version), record);
  }

  /** Points MLflow's alias at the MLflow version mirroring ours, and tags the registered model with the pin. */
  async moveAlias(name: string, alias: string, version: number | null, pinned: boolean): Promise<void> {
    if (!(await this.hasRegistry())) return;
    if (version !== null) {
      const record = this.store ? await getJson<MlflowVersionRecord>(this.store, mlflowVersionKey(name, version)) : undefined;
      if (!record) throw new Error(`${name} v${version} has no MLflow version (it was registered while MLflow was not reachable): MLflow's ${alias} alias not moved`);
      await this.client.setAlias(name, alias, record.mlflowVersion);
    }
    await this.client.setRegisteredModelTag(name, `threatmatrix.${alias}.pinned`, String(pinned));
  }

  attach(id: string, artifactUri = this.artifactUris.get(id)): TrackedRun {
    const { client, putS3 } = this;
    // A run started by another process: its artifact URI is asked for once, never guessed.
    let where: Promise<string> | undefined = artifactUri === undefined ? undefined : Promise.resolve(artifactUri);
    const location = () =>
      (where ??= client.getRun(id).then(
        (r) => r.artifactUri,
        (err) => {
          where = undefined;
          throw err;
        },
      ));
    const str = (o: Record<string, string | number | boolean>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, String(v)]));
    return {
      id,
      artifactUri,
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
        const uri = await location();
        if (await client.uploadArtifact(uri, path, body)) return;
        if (!uri.startsWith('s3://') || !putS3) throw new Error(`cannot write artifacts to ${uri}`);
        await putS3(`${uri.replace(/\/+$/, '')}/${path}`, body);
      },
      async logDatasets(datasets) {
        await client.logInputs(
          id,
          datasets.map(({ context, schema, profile, ...d }) => ({ dataset: { ...d, schema: datasetSchemaJson(schema), profile: JSON.stringify(profile) }, context })),
        );
      },
      async end(status: RunStatus) {
        await client.updateRun(id, status);
      },
    };
  }
}
