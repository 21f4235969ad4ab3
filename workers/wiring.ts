import { CsvFileSource } from '../core/adapters/csv-file-source.js';
import { LocalArtifactStore } from '../core/adapters/local-artifact-store.js';
import { PermanentError } from '../core/errors.js';
import type { StageDeps } from '../core/pipeline/stage-deps.js';
import type { ArtifactStore } from '../core/ports/artifact-store.js';
import type { DataSource } from '../core/ports/data-source.js';
import { ArtifactRegistry } from '../core/registry/artifact-registry.js';
import type { Config, SourceSpec } from '../schema/index.js';

/** The artifact store the configuration names. */
export function artifactStoreFrom(config: Config): ArtifactStore {
  if (config.TM_ARTIFACTS.startsWith('s3://')) throw new PermanentError('S3 artifact stores are not wired in yet (TM_ARTIFACTS=s3://...)');
  return new LocalArtifactStore(config.TM_ARTIFACTS);
}

export function dataSourceFor(spec: SourceSpec): DataSource {
  if (spec.kind === 'csv') return new CsvFileSource(spec.path);
  throw new PermanentError(`${spec.kind} sources are not wired in yet`);
}

/** Stage dependencies from the configuration: adapters are chosen here and nowhere else. */
export function stageDepsFrom(config: Config): StageDeps {
  const store = artifactStoreFrom(config);
  return {
    store,
    registry: new ArtifactRegistry(store),
    source: dataSourceFor,
    promotion: { metric: config.TM_PROMOTION_METRIC, minDelta: config.TM_PROMOTION_MIN_DELTA },
  };
}
