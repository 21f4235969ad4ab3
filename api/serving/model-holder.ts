import type { ArtifactStore } from '../../core/ports/artifact-store.js';
import type { ModelRegistry } from '../../core/ports/model-registry.js';
import { loadServedModel, type ServedModel } from '../../core/registry/served-model.js';

export type { ServedModel };

/**
 * The production model being served. `refresh()` loads the version the `production` alias points
 * at when it changed, or takes the version's new threshold; the swap is one reference assignment,
 * so requests in flight finish on the model (and threshold) they started with.
 */
export class ModelHolder {
  private current?: ServedModel;
  private timer?: NodeJS.Timeout;

  constructor(
    readonly name: string,
    private readonly registry: ModelRegistry,
    /** Where the registry keeps its versions (scoring threads load them from it too). */
    readonly store: ArtifactStore,
  ) {}

  get model(): ServedModel | undefined {
    return this.current;
  }

  /** Loads production when the alias moved, or takes its new threshold when that changed. */
  async refresh(): Promise<boolean> {
    const version = await this.registry.alias(this.name, 'production');
    if (version === undefined) return false;
    if (version === this.current?.version) {
      const t = await this.registry.threshold(this.name, version);
      const now = this.current;
      if (!t || now.version !== version || t.seq <= now.thresholdSeq) return false;
      this.current = { ...now, threshold: t.threshold, thresholdSeq: t.seq };
      return true;
    }
    const served = await this.load(version);
    if (!served) return false;
    this.current = served;
    return true;
  }

  /** Loads a version without serving it (undefined when it does not exist). */
  load(version: number): Promise<ServedModel | undefined> {
    return loadServedModel(this.registry, this.store, this.name, version);
  }

  /** Serves a loaded version from the next request on. */
  swap(served: ServedModel): void {
    this.current = served;
  }

  /** Refreshes whenever `changes` announces a change to this model (on top of polling). */
  follow(changes: { listen(onChange: (name: string) => void): Promise<void> }, onError: (err: unknown) => void = () => undefined): Promise<void> {
    return changes.listen((name) => {
      if (name === this.name) void this.refresh().catch(onError);
    });
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
