import { readCsv } from '../../core/data/csv-reader.js';
import { Pipeline } from '../../core/models/pipeline.js';
import { createModel } from '../../core/models/registry.js';
import type { ArtifactStore } from '../../core/ports/artifact-store.js';
import { ArtifactRegistry } from '../../core/registry/artifact-registry.js';
import { Preprocessor } from '../../core/transform/preprocessor.js';
import { parseDatasetSchema, type DatasetSchemaInput } from '../../schema/index.js';

/**
 * Fits one model (no search) on a CSV and registers it as the production version of `name`:
 * quicker than a training run when a test needs a given family served (KNN, say).
 */
export async function registerFitted(
  store: ArtifactStore,
  o: { name: string; runId?: string; csv: string; schema: DatasetSchemaInput; kind: string; params?: Record<string, unknown>; scale?: boolean },
): Promise<{ registry: ArtifactRegistry; pipeline: Pipeline }> {
  const schema = parseDatasetSchema(JSON.stringify(o.schema));
  const { dataset } = await readCsv(o.csv, schema);
  const preprocessor = new Preprocessor({ scale: o.scale ?? false, encodings: Object.fromEntries(schema.features.flatMap((f) => (f.kind === 'categorical' ? [[f.name, f.encoding]] : []))) });
  const X = preprocessor.fitTransform(dataset.features);
  const model = createModel(o.kind, o.params);
  await model.fit(X, dataset.labels, { nClasses: dataset.classes.length });
  const pipeline = new Pipeline(preprocessor, model, dataset.classes, dataset.positiveClass);
  const registry = new ArtifactRegistry(store);
  const manifest = await registry.register(o.name, pipeline.toJSON(), {
    runId: o.runId ?? `fitted-${o.kind}`, // one version per run id (registration is idempotent per run)
    family: o.kind,
    params: o.params ?? {},
    metrics: {},
    schemaHash: 'fitted',
    schema: o.schema as Record<string, unknown>,
    dataDigest: 'fitted',
  });
  await registry.changeAlias(o.name, 'production', { action: 'auto-promote', version: manifest.version, by: 'test', why: 'fitted model' });
  return { registry, pipeline };
}
