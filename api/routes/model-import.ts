import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { DataError } from '../../core/errors.js';
import { registerXgboost } from '../../core/models/xgboost/register-xgboost.js';
import type { ModelRegistry } from '../../core/ports/model-registry.js';
import { parseDatasetSchema, SchemaFileError } from '../../schema/parse-schema.js';
import type { DatasetSchema } from '../../schema/index.js';
import { keyIdOf } from '../access-log.js';
import { access } from '../auth.js';
import { ApiError } from '../errors.js';
import type { ModelHolder } from '../serving/model-holder.js';
import { errorResponses } from './shared.js';

const ImportBody = z
  .object({
    xgboost: z
      .union([z.string().min(1), z.record(z.string(), z.unknown())])
      .openapi({ description: "The XGBoost model as model.save_model('model.json') wrote it: the file's text (keeps its NaN split conditions) or the parsed JSON object" }),
    schema: z
      .union([z.string().min(1), z.record(z.string(), z.unknown())])
      .openapi({ description: 'The dataset schema the model scores: YAML/JSON text or an object. Features are matched to the model by name (or in order when the model has no feature_names)' }),
    promote: z.boolean().default(false).openapi({ description: 'Make the new version production at once (audited; pins production). Default false' }),
    note: z.string().max(500).optional().openapi({ description: 'Why (kept in the audit trail when promoting)' }),
  })
  .strict()
  .openapi('ModelImport');

const Imported = z
  .object({
    name: z.string(),
    version: z.number().int(),
    family: z.literal('xgboost'),
    objective: z.string(),
    classes: z.number().int(),
    trees: z.number().int(),
    features: z.number().int(),
    categorical: z.number().int(),
    namedFeatures: z.boolean().openapi({ description: 'Features were matched by the names in the model (else in schema order)' }),
    promoted: z.boolean(),
    reason: z.string().optional(),
  })
  .openapi('ModelImported');

/**
 * `POST /v1/models/import` (admin): registers an XGBoost JSON model as the next version of the
 * served model, scored like a trained one; `promote` also serves it at once.
 */
export function modelImportRoutes(app: OpenAPIHono, models: ModelHolder, registry: ModelRegistry): void {
  app.openapi(
    createRoute({
      method: 'post',
      operationId: 'importModel',
      path: '/v1/models/import',
      summary: 'Register an XGBoost model (binary:logistic or multi:softprob JSON) as a new version',
      security: access.admin,
      request: { body: { content: { 'application/json': { schema: ImportBody } }, required: true } },
      responses: {
        201: { description: 'Registered (the same model and schema again return the version they already have)', content: { 'application/json': { schema: Imported } } },
        ...errorResponses(400, 401, 403, 413, 422),
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const text = typeof body.xgboost === 'string' ? body.xgboost : JSON.stringify(body.xgboost);
      const schema = schemaOf(body.schema);
      const by = `api:${keyIdOf(c.req.header('authorization')) ?? 'open'}`;
      let r;
      try {
        r = await registerXgboost(registry, { text, schema, name: models.name, by, promote: body.promote, note: body.note });
      } catch (err) {
        if (!(err instanceof DataError)) throw err;
        const field = err.column?.startsWith('model') ? `xgboost${err.column.slice('model'.length)}` : `schema.${err.column ?? 'features'}`;
        throw new ApiError(422, 'invalid_model', err.message, [{ field, rule: err.rule, message: err.message }]);
      }
      if (r.promoted) {
        const served = await models.load(r.manifest.version);
        if (served && (await registry.alias(models.name, 'production')) === r.manifest.version) models.swap(served);
      }
      const s = r.summary;
      return c.json(
        {
          name: r.manifest.name,
          version: r.manifest.version,
          family: 'xgboost' as const,
          objective: s.objective,
          classes: s.classes,
          trees: s.trees,
          features: s.features,
          categorical: s.categorical,
          namedFeatures: s.namedFeatures,
          promoted: r.promoted,
          ...(r.reason ? { reason: r.reason } : {}),
        },
        201,
      );
    },
  );
}

/** The body's schema, parsed, or a 422 with one detail per distinct problem. */
function schemaOf(given: string | Record<string, unknown>): DatasetSchema {
  try {
    return parseDatasetSchema(typeof given === 'string' ? given : JSON.stringify(given), 'schema');
  } catch (err) {
    if (!(err instanceof SchemaFileError)) throw err;
    throw new ApiError(422, 'invalid_schema', err.message.split('\n')[0], err.problems.map((p) => ({ field: `schema.${p.split(/[ :]/)[0]}`, rule: 'dataset-schema', message: p })));
  }
}
