import { z } from '@hono/zod-openapi';

/** One record to score: feature name -> value (validated against the served model's schema). */
export const FeatureRecord = z
  .record(z.string(), z.union([z.number(), z.string(), z.null()]))
  .openapi('FeatureRecord', { example: { having_IP_Address: -1, URL_Length: 1 } });

export const ErrorSchema = z
  .object({ error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }) })
  .openapi('Error');

const WHY = {
  400: 'Malformed request',
  401: 'No or unknown API key',
  403: 'The key lacks the role this route needs',
  404: 'Not found',
  409: 'Not in a state that allows this',
  413: 'Body too large',
  415: 'Unsupported content type',
  422: 'Invalid input (field and rule named)',
  503: 'No production model yet',
} as const;

/** OpenAPI responses for the given error statuses, all with the one error shape. */
export function errorResponses<S extends keyof typeof WHY>(...statuses: S[]) {
  return Object.fromEntries(statuses.map((s) => [s, { description: WHY[s], content: { 'application/json': { schema: ErrorSchema } } }])) as unknown as {
    [K in S]: { description: string; content: { 'application/json': { schema: typeof ErrorSchema } } };
  };
}
