import type { DatasetSchema } from '../../../schema/index.js';
import { canonicalJson, sha256 } from '../../artifacts/digest.js';
import type { ModelManifest, ModelRegistry } from '../../ports/model-registry.js';
import { importXgboost, type ImportedXgboost } from './import-xgboost.js';

export interface XgboostImportRequest {
  /** The model's JSON text, as `model.save_model('x.json')` wrote it. */
  text: string;
  schema: DatasetSchema;
  /** Registered model name (the served one by default at the edges). */
  name: string;
  /** Who imports: `cli:<user>` or `api:<key id>` (kept in the version's params and the promotion audit). */
  by: string;
  /** Make the new version production (an audited promote that pins it). Default false. */
  promote?: boolean;
  /** Why (the promotion audit's note). */
  note?: string;
}

export interface XgboostImportResult {
  manifest: ModelManifest;
  summary: ImportedXgboost['summary'];
  promoted: boolean;
  /** Why it was not promoted when `promote` was asked (e.g. production is pinned by a rollback). */
  reason?: string;
}

/**
 * Registers an XGBoost JSON model as the next version of `name`: its pipeline, the schema it
 * scores and where it came from. The import id hashes the model text and the schema, so importing
 * the same pair again returns the version it already has. Metrics stay empty: the import sees no
 * labelled rows. With `promote`, it becomes production through the audited alias log.
 */
export async function registerXgboost(registry: ModelRegistry, req: XgboostImportRequest): Promise<XgboostImportResult> {
  const imported = importXgboost(req.text, req.schema);
  const schemaHash = sha256(canonicalJson(req.schema));
  const manifest = await registry.register(req.name, imported.pipeline.toJSON(), {
    runId: `import-${sha256(`${imported.digest}:${schemaHash}`).slice(0, 24)}`,
    family: 'xgboost',
    params: { ...imported.summary, importedBy: req.by },
    metrics: {},
    schemaHash,
    schema: req.schema as unknown as Record<string, unknown>,
    dataDigest: imported.digest,
  });
  if (!req.promote) return { manifest, summary: imported.summary, promoted: false };
  const moved = await registry.changeAlias(req.name, 'production', { action: 'promote', version: manifest.version, by: req.by, why: req.note ?? 'imported XGBoost model' });
  return moved.changed ? { manifest, summary: imported.summary, promoted: true } : { manifest, summary: imported.summary, promoted: false, reason: moved.reason };
}
