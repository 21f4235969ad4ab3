import type { SourceSpec } from '../../schema/index.js';
import type { ArtifactStore } from '../ports/artifact-store.js';
import type { DataSource } from '../ports/data-source.js';
import type { ModelRegistry } from '../ports/model-registry.js';
import type { Tracker } from '../ports/tracker.js';
import type { PromotionRule } from '../registry/promotion.js';

/** What the stages use; api and workers wire the adapters in. */
export interface StageDeps {
  store: ArtifactStore;
  registry: ModelRegistry;
  source(spec: SourceSpec): DataSource;
  promotion: PromotionRule;
  /** Share of the stage done, 0..100; a stage with a deadline also gives the seconds left. */
  onProgress?: (percent: number, secondsLeft?: number) => void;
  /** Experiment tracking; absent = none. */
  tracker?: Tracker;
  /** Where problems that must not fail the run (tracking) are reported. */
  warn?: (message: string, err: unknown) => void;
}
