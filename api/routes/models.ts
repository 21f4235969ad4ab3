import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { changeThreshold, ThresholdChangeError } from '../../core/decision/change-threshold.js';
import type { AliasChange, ModelRegistry } from '../../core/ports/model-registry.js';
import { ThresholdRuleSchema } from '../../schema/run-config.js';
import { keyIdOf } from '../access-log.js';
import { access } from '../auth.js';
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
/** One version with where it came from: run, data, schema, code, params, how it was evaluated. */
const VersionDetail = Version.extend({
  lineage: z.object({
    runId: z.string(),
    dataDigest: z.string(),
    schemaHash: z.string(),
    gitCommit: z.string().nullable(),
    params: z.record(z.string(), z.unknown()),
    evaluation: z.unknown().optional(),
    failures: z.array(z.object({ family: z.string(), error: z.string() })).optional(),
    /** A drift-triggered run's feedback rows besides its source: CSV key and digest, rows, split, alerting window. */
    feedback: z.unknown().optional(),
  }),
  /** The threshold chosen at training: rule, figures out of fold and on the test rows, calibration (its changes: GET /v1/models/{version}/threshold). */
  operatingPoint: z.unknown().optional(),
}).openapi('ModelVersionDetail');
const Versions = z.object({ versions: z.array(Version), production: z.number().int().nullable(), pinned: z.boolean() }).openapi('ModelVersions');
const Served = z.object({ production: z.number().int(), previous: z.number().int().nullable(), pinned: z.boolean() }).openapi('ProductionChange');
const AliasEvent = z
  .object({
    seq: z.number().int(),
    action: z.enum(['promote', 'auto-promote', 'rollback', 'pin', 'unpin']),
    from: z.number().int().nullable(),
    to: z.number().int().nullable(),
    pinned: z.boolean(),
    by: z.string(),
    why: z.string(),
    at: z.string(),
  })
  .openapi('ProductionChangeEvent');
const History = z.object({ production: z.number().int().nullable(), pinned: z.boolean(), events: z.array(AliasEvent) }).openapi('ProductionHistory');
const Note = z
  .object({ note: z.string().max(500).optional().openapi({ description: 'Why (kept in the audit trail)' }) })
  .strict()
  .openapi('ChangeNote');
const ThresholdBody = z
  .object({
    threshold: z.number().min(0).max(1).optional().openapi({ description: 'The new threshold: score >= threshold is a threat' }),
    rule: ThresholdRuleSchema.optional().openapi({ description: "A rule applied again to the version's out-of-fold scores: maxF1, maxFalsePositiveRate, minRecall or minPrecision" }),
    note: z.string().max(500).optional().openapi({ description: 'Why (kept in the audit trail)' }),
  })
  .strict()
  .refine((b) => (b.threshold === undefined) !== (b.rule === undefined), { message: 'give either threshold or rule', path: ['threshold'] })
  .openapi('ThresholdChange');
const ThresholdEvent = z
  .object({ seq: z.number().int(), from: z.number(), to: z.number(), rule: z.record(z.string(), z.unknown()).optional(), by: z.string(), why: z.string(), at: z.string() })
  .openapi('ThresholdEvent');
const ThresholdState = z
  .object({ version: z.number().int(), threshold: z.number(), trained: z.unknown().optional(), events: z.array(ThresholdEvent) })
  .openapi('ThresholdState');
const VersionParam = z.object({ version: z.coerce.number().int().positive().openapi({ param: { name: 'version', in: 'path' }, example: 1 }) });
const errors = {
  401: { description: 'No or unknown API key', content: { 'application/json': { schema: ErrorSchema } } },
  403: { description: 'Not an admin key', content: { 'application/json': { schema: ErrorSchema } } },
  404: { description: 'No such version', content: { 'application/json': { schema: ErrorSchema } } },
  409: { description: 'Not possible now (no earlier version, nothing to pin)', content: { 'application/json': { schema: ErrorSchema } } },
};

/** Who made a change through the API: the key's id (as in the access log, never the key). */
const byApi = (c: { req: { header(name: string): string | undefined } }) => `api:${keyIdOf(c.req.header('authorization')) ?? 'open'}`;
const optionalNote = { body: { content: { 'application/json': { schema: Note } }, required: false } };

/**
 * Admin routes over the served model's versions: list, inspect (with lineage), promote, roll back,
 * pin and unpin, and the audit trail. Promote and rollback pin production: scheduled runs register
 * candidates but do not promote until someone unpins.
 */
export function modelRoutes(app: OpenAPIHono, models: ModelHolder, registry: ModelRegistry, o: { announce?: (name: string) => Promise<void> } = {}): void {
  const name = () => models.name;
  const describe = async (production?: number) =>
    (await registry.versions(name())).map((m) => ({ name: m.name, version: m.version, production: m.version === production, family: m.family, metrics: m.metrics, runId: m.runId, createdAt: m.createdAt }));
  const security = access.admin;
  const noVersion = (version: number) => new ApiError(404, 'not_found', `${name()} has no version ${version}`, [{ field: 'version', rule: 'exists', message: `${name()} has no version ${version}` }]);

  app.openapi(createRoute({ method: 'get', operationId: 'listModelVersions', path: '/v1/models', summary: 'Versions of the served model', security, responses: { 200: { description: 'Versions', content: { 'application/json': { schema: Versions } } }, ...errors } }), async (c) => {
    const state = await registry.aliasState(name(), 'production');
    return c.json({ versions: await describe(state.version), production: state.version ?? null, pinned: state.pinned }, 200);
  });

  app.openapi(
    createRoute({ method: 'get', operationId: 'getProductionHistory', path: '/v1/models/history', summary: 'Every production change: who, when, from, to, why', security, responses: { 200: { description: 'The audit trail, oldest first', content: { 'application/json': { schema: History } } }, ...errors } }),
    async (c) => {
      const state = await registry.aliasState(name(), 'production');
      return c.json({ production: state.version ?? null, pinned: state.pinned, events: state.events }, 200);
    },
  );

  app.openapi(
    createRoute({ method: 'get', operationId: 'getModelVersion', path: '/v1/models/{version}', summary: 'One version, with its lineage', security, request: { params: VersionParam }, responses: { 200: { description: 'The version', content: { 'application/json': { schema: VersionDetail } } }, ...errors } }),
    async (c) => {
      const { version } = c.req.valid('param');
      const found = await registry.get(name(), version);
      if (!found) throw noVersion(version);
      const m = found.manifest;
      const production = await registry.alias(name(), 'production');
      return c.json(
        {
          name: m.name,
          version: m.version,
          production: m.version === production,
          family: m.family,
          metrics: m.metrics,
          runId: m.runId,
          createdAt: m.createdAt,
          lineage: { runId: m.runId, dataDigest: m.dataDigest, schemaHash: m.schemaHash, gitCommit: m.gitCommit ?? null, params: m.params, evaluation: m.evaluation, failures: m.failures, feedback: m.feedback },
          operatingPoint: m.operatingPoint,
        },
        200,
      );
    },
  );

  /** Moves production (loading the target first: a version that cannot be served never becomes production) and serves it at once. */
  const change = async (target: number | undefined, change: AliasChange) => {
    const served = target === undefined ? undefined : await models.load(target);
    if (target !== undefined && !served) throw noVersion(target);
    const moved = await registry.changeAlias(name(), 'production', change);
    if (!moved.changed) throw new ApiError(409, 'conflict', moved.reason, [{ field: 'production', rule: change.action, message: moved.reason }]);
    const now = moved.event.to!;
    // Another change may have landed between our read and our write: serve what the log says.
    if (served && now === target) models.swap(served);
    else if (now !== models.model?.version) await models.refresh();
    await announce();
    return { production: now, previous: moved.event.from, pinned: moved.state.pinned };
  };
  /** Tells the other API processes (best effort: they also poll). */
  const announce = () => o.announce?.(name()).catch(() => undefined);

  app.openapi(
    createRoute({
      method: 'get',
      operationId: 'getModelThreshold',
      path: '/v1/models/{version}/threshold',
      summary: "A version's threat threshold: the one chosen at training (rule, figures) and every change since",
      security,
      request: { params: VersionParam },
      responses: { 200: { description: 'The threshold and its audit trail', content: { 'application/json': { schema: ThresholdState } } }, ...errors },
    }),
    async (c) => {
      const { version } = c.req.valid('param');
      const [state, found] = await Promise.all([registry.thresholdState(name(), version), registry.get(name(), version)]);
      if (!state || !found) throw noVersion(version);
      return c.json({ version, threshold: state.threshold, trained: found.manifest.operatingPoint, events: state.events }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      operationId: 'setModelThreshold',
      path: '/v1/models/{version}/threshold',
      summary: "Change a version's threat threshold without retraining (a value, or a rule on its out-of-fold scores); audited, served by every API process at once",
      security,
      request: { params: VersionParam, body: { content: { 'application/json': { schema: ThresholdBody } }, required: true } },
      responses: { 200: { description: 'Changed', content: { 'application/json': { schema: ThresholdEvent.extend({ version: z.number().int() }) } } }, ...errors },
    }),
    async (c) => {
      const { version } = c.req.valid('param');
      const body = c.req.valid('json');
      const request = body.rule ? { rule: body.rule } : { threshold: body.threshold! };
      let changed;
      try {
        changed = await changeThreshold(registry, models.store, name(), version, request, { by: byApi(c), why: body.note });
      } catch (err) {
        if (err instanceof ThresholdChangeError && err.reason === 'no-version') throw noVersion(version);
        if (err instanceof ThresholdChangeError) throw new ApiError(409, 'conflict', err.message, [{ field: 'rule', rule: 'out-of-fold-scores', message: err.message }]);
        throw err;
      }
      if (models.model?.version === version) await models.refresh();
      await announce();
      return c.json({ version, ...changed.event }, 200);
    },
  );

  app.openapi(
    createRoute({ method: 'post', operationId: 'promoteModelVersion', path: '/v1/models/{version}/promote', summary: 'Make a version production (served at once; pins production)', security, request: { params: VersionParam, ...optionalNote }, responses: { 200: { description: 'Switched', content: { 'application/json': { schema: Served } } }, ...errors } }),
    async (c) => {
      const { version } = c.req.valid('param');
      return c.json(await change(version, { action: 'promote', version, by: byApi(c), why: (await note(c)) ?? 'promoted through the API' }), 200);
    },
  );

  app.openapi(
    createRoute({ method: 'post', operationId: 'rollbackModel', path: '/v1/models/rollback', summary: 'Serve the production version before the current one again (walks back through history; pins production)', security, request: optionalNote, responses: { 200: { description: 'Switched', content: { 'application/json': { schema: Served } } }, ...errors } }),
    async (c) => {
      const state = await registry.aliasState(name(), 'production');
      const target = state.stack.at(-2);
      if (target === undefined) throw new ApiError(409, 'conflict', 'there is no earlier production version', [{ field: 'production', rule: 'earlier-production', message: 'there is no earlier production version' }]);
      return c.json(await change(target, { action: 'rollback', by: byApi(c), why: (await note(c)) ?? 'rolled back through the API' }), 200);
    },
  );

  for (const action of ['pin', 'unpin'] as const) {
    app.openapi(
      createRoute({
        method: 'post',
        path: `/v1/models/${action}`,
        operationId: action === 'pin' ? 'pinProduction' : 'unpinProduction',
        summary: action === 'pin' ? 'Pin production: runs register candidates but do not promote' : 'Unpin production: runs promote by their rule again',
        security,
        request: optionalNote,
        responses: { 200: { description: 'Done', content: { 'application/json': { schema: Served } } }, ...errors },
      }),
      async (c) => c.json(await change(undefined, { action, by: byApi(c), why: (await note(c)) ?? `${action}ned through the API` }), 200),
    );
  }
}

/** The optional `note` of a change request (an empty body is fine). */
async function note(c: { req: { text(): Promise<string> } }): Promise<string | undefined> {
  const text = await c.req.text().catch(() => '');
  if (!text.trim()) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ApiError(400, 'malformed_json', 'the body is not valid JSON', [{ field: 'body', rule: 'json-syntax', message: 'the body is not valid JSON' }]);
  }
  const parsed = Note.safeParse(body);
  if (!parsed.success) throw new ApiError(422, 'invalid_request', parsed.error.issues[0].message, parsed.error.issues.map((i) => ({ field: i.path.join('.') || 'body', rule: i.code, message: i.message })));
  return parsed.data.note;
}
