import { getJson } from '../../core/artifacts/json.js';
import { Pipeline } from '../../core/models/pipeline.js';
import { runKeys } from '../../core/pipeline/run-keys.js';
import type { ArtifactStore } from '../../core/ports/artifact-store.js';
import type { ModelRegistry } from '../../core/ports/model-registry.js';
import { parseDatasetSchema, type DatasetSchema } from '../../schema/index.js';

export interface ServedModel {
  name: string;
  version: number;
  pipeline: Pipeline;
  schema: DatasetSchema;
}

/**
 * The production model being served. `refresh()` loads the version the `production` alias points
 * at when it changed; the swap is one reference assignment, so requests in flight finish on the
 * model they started with.
 */
export class ModelHolder {
  private current?: ServedModel;
  private timer?: NodeJS.Timeout;

  constructor(
    readonly name: string,
    private readonly registry: ModelRegistry,
    private readonly store: ArtifactStore,
  ) {}

  get model(): ServedModel | undefined {
    return this.current;
  }

  async refresh(): Promise<boolean> {
    const version = await this.registry.alias(this.name, 'production');
    if (version === undefined || version === this.current?.version) return false;
    const served = await this.load(version);
    if (!served) return false;
    this.current = served;
    return true;
  }

  /** Loads a version without serving it (undefined when it does not exist). */
  async load(version: number): Promise<ServedModel | undefined> {
    const entry = await this.registry.get(this.name, version);
    if (!entry) return undefined;
    const written = entry.manifest.schema ?? (await getJson<{ schema: unknown }>(this.store, runKeys(entry.manifest.runId).spec))?.schema;
    if (!written) throw new Error(`${this.name} v${version} has no dataset schema`);
    const schema = parseDatasetSchema(JSON.stringify(written), `${this.name} v${version} schema`);
    return { name: this.name, version, pipeline: await Pipeline.fromJSON(entry.model), schema };
  }

  /** Serves a loaded version from the next request on. */
  swap(served: ServedModel): void {
    this.current = served;
  }

  /** Polls the alias; errors keep the current model. */
  startPolling(ms: number, onError: (err: unknown) => void = () => undefined): void {
    this.timer = setInterval(() => void this.refresh().catch(onError), ms);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
