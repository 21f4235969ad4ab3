import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { ModelRegistry } from '../../core/ports/model-registry.js';
import { ApiError } from '../errors.js';
import type { ModelHolder } from '../serving/model-holder.js';
import { ErrorSchema } from './shared.js';

const Version = z
  .object({
    name: z.string(),
    version: z.number().int(),
    production: z.boolean(),
    family: z.string(),
    metrics: z.record(z.string(), z.number()),
    runId: z.string(),
    createdAt: z.string(),
  })
  .openapi('ModelVersion');
const Versions = z.object({ versions: z.array(Version), production: z.number().int().nullable() }).openapi('ModelVersions');
const Served = z.object({ production: z.number().int(), previous: z.number().int().nullable() }).openapi('ProductionChange');
const VersionParam = z.object({ version: z.coerce.number().int().positive().openapi({ param: { name: 'version', in: 'path' }, example: 1 }) });
const errors = {
  401: { description: 'No or unknown API key', content: { 'application/json': { schema: ErrorSchema } } },
  403: { description: 'Not an admin key', content: { 'application/json': { schema: ErrorSchema } } },
  404: { description: 'No such version', content: { 'application/json': { schema: ErrorSchema } } },
};

/** Admin routes over the served model's versions: list, inspect, promote, roll back. */
export function modelRoutes(app: OpenAPIHono, models: ModelHolder, registry: ModelRegistry): void {
  const name = () => models.name;
  const describe = async (production?: number) =>
    (await registry.versions(name())).map((m) => ({ name: m.name, version: m.version, production: m.version === production, family: m.family, metrics: m.metrics, runId: m.runId, createdAt: m.createdAt }));
  const security = [{ apiKey: [] }];
  const noVersion = (version: number) => new ApiError(404, 'not_found', `${name()} has no version ${version}`, [{ field: 'version', rule: 'exists', message: `${name()} has no version ${version}` }]);

  app.openapi(createRoute({ method: 'get', path: '/v1/models', summary: 'Versions of the served model', security, responses: { 200: { description: 'Versions', content: { 'application/json': { schema: Versions } } }, ...errors } }), async (c) => {
    const production = await registry.alias(name(), 'production');
    return c.json({ versions: await describe(production), production: production ?? null }, 200);
  });

  app.openapi(
    createRoute({ method: 'get', path: '/v1/models/{version}', summary: 'One version', security, request: { params: VersionParam }, responses: { 200: { description: 'The version', content: { 'application/json': { schema: Version } } }, ...errors } }),
    async (c) => {
      const { version } = c.req.valid('param');
      const found = (await describe(await registry.alias(name(), 'production'))).find((v) => v.version === version);
      if (!found) throw noVersion(version);
      return c.json(found, 200);
    },
  );

  // Load first: a version that cannot be served never becomes production.
  const switchTo = async (version: number) => {
    const served = await models.load(version);
    if (!served) throw noVersion(version);
    const previous = (await registry.alias(name(), 'production')) ?? null;
    await registry.setAlias(name(), 'production', version);
    models.swap(served);
    return { production: version, previous };
  };

  app.openapi(
    createRoute({ method: 'post', path: '/v1/models/{version}/promote', summary: 'Make a version production (served at once)', security, request: { params: VersionParam }, responses: { 200: { description: 'Switched', content: { 'application/json': { schema: Served } } }, ...errors } }),
    async (c) => c.json(await switchTo(c.req.valid('param').version), 200),
  );

  app.openapi(
    createRoute({ method: 'post', path: '/v1/models/rollback', summary: 'Serve the previous production version again', security, responses: { 200: { description: 'Switched', content: { 'application/json': { schema: Served } } }, ...errors } }),
    async (c) => {
      const history = await registry.aliasHistory(name(), 'production');
      const current = history.at(-1)?.version;
      const previous = [...history].reverse().find((h) => h.version !== current);
      if (!previous) throw new ApiError(404, 'not_found', 'there is no earlier production version', [{ field: 'version', rule: 'earlier-production', message: 'there is no earlier production version' }]);
      return c.json(await switchTo(previous.version), 200);
    },
  );
}
