import type { RedisClient } from './redis-connection.js';
import { redactUri, uriHasSecret } from '../core/security/redact.js';
import type { RunSpec } from '../schema/jobs.js';

/**
 * Credentials inside a run's data URI (mongodb://user:password@..., s3://...?X-Amz-Signature=...)
 * never go into job data, which Redis keeps and Bull Board shows: the jobs carry the redacted URI
 * and `heldSecret: true`, and the real URI waits under its own Redis key (not a job, so no board
 * lists it) until the ingest stage reads it. It expires after the run's time budget and a day.
 */
const keyOf = (prefix: string, runId: string) => `${prefix}:run-secret:${runId}`;
const DAY_S = 86_400;

/** The run as jobs may carry it; the real URI stored apart when it holds credentials. */
export async function holdRunSecrets(conn: RedisClient, prefix: string, run: RunSpec): Promise<RunSpec> {
  const source = run.source;
  if (source.kind === 'csv' || !uriHasSecret(source.uri)) return run;
  await conn.set(keyOf(prefix, run.runId), source.uri, 'EX', Math.ceil((run.timeBudgetSeconds || 7 * DAY_S) + DAY_S));
  return { ...run, source: { ...source, uri: redactUri(source.uri), heldSecret: true } };
}

/** The run with its real URI back (for the stage that reads the source); fails when the secret expired. */
export async function releaseRunSecrets(conn: RedisClient, prefix: string, run: RunSpec): Promise<RunSpec> {
  const source = run.source;
  if (source.kind === 'csv' || !source.heldSecret) return run;
  const uri = await conn.get(keyOf(prefix, run.runId));
  if (!uri) throw new Error(`run ${run.runId}: the credentials of its data URI are no longer held (expired or removed): start the run again`);
  return { ...run, source: { ...source, uri, heldSecret: undefined } };
}
