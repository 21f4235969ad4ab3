import type { DatasetSchema } from '../../schema/index.js';
import type { RunSpec } from '../../schema/jobs.js';
import { getJson, putJson } from '../artifacts/json.js';
import type { Frame } from '../data/frame.js';
import type { RunStatus, TrackedDataset, TrackedRun } from '../ports/tracker.js';
import { redactUri } from '../security/redact.js';
import { runKeys } from './run-keys.js';
import type { StageDeps } from './stage-deps.js';

/** Runs a tracking call; a failure is reported and swallowed: tracking never fails training. */
export async function track<T>(deps: Pick<StageDeps, 'tracker' | 'warn'>, what: string, fn: () => Promise<T>): Promise<T | undefined> {
  if (!deps.tracker) return undefined;
  try {
    return await fn();
  } catch (err) {
    deps.warn?.(`tracking: ${what} failed`, err);
    return undefined;
  }
}

/** What the run's artifacts keep of its tracked run: a stage in any process attaches to it from this. */
export interface TrackingPointer {
  id: string;
  tracker: string;
  /** Where the tracked run's files go (MLflow's `artifact_uri`): never guessed from the id. */
  artifactUri?: string;
}

/**
 * The tracked run of a training run, or of one of its families (nested), started once: its id and
 * artifact URI are kept in the run's artifacts, so a stage in another process or a retried stage
 * logs into the same tracked run and uploads under its own artifact URI.
 */
export async function trackedRun(run: RunSpec, deps: StageDeps, family?: string): Promise<TrackedRun | undefined> {
  const tracker = deps.tracker;
  if (!tracker) return undefined;
  const keys = runKeys(run.runId);
  const pointer = family ? keys.familyTracking(family) : keys.tracking;
  return track(deps, `start ${family ?? run.runId}`, async () => {
    const known = await getJson<TrackingPointer>(deps.store, pointer);
    if (known) return tracker.attach(known.id, known.artifactUri);
    const parent = family ? await trackedRun(run, deps) : undefined;
    const tags: Record<string, string> = { 'threatmatrix.run': run.runId, 'threatmatrix.model': run.modelName };
    if (run.gitCommit) tags['mlflow.source.git.commit'] = run.gitCommit;
    const started = await tracker.startRun({ runName: family ?? run.runId, tags, parentRunId: parent?.id });
    const kept: TrackingPointer = { id: started.id, tracker: tracker.kind, ...(started.artifactUri ? { artifactUri: started.artifactUri } : {}) };
    await putJson(deps.store, pointer, kept);
    return started;
  });
}

/**
 * Ends the tracked run of a training run that stopped for good outside `register` (a stage out of
 * retries, a cancelled run), so it is not left RUNNING. Attaches only to a run already started.
 */
export async function endTrackedRun(runId: string, deps: Pick<StageDeps, 'store' | 'tracker' | 'warn'>, status: RunStatus): Promise<void> {
  const tracker = deps.tracker;
  if (!tracker) return;
  await track(deps, `end ${runId}`, async () => {
    const known = await getJson<TrackingPointer>(deps.store, runKeys(runId).tracking);
    if (known) await tracker.attach(known.id, known.artifactUri).end(status);
  });
}

const SOURCE_TYPES: Record<RunSpec['source']['kind'], string> = { csv: 'local', s3: 's3', mongodb: 'mongodb' };

/**
 * The run's dataset as a tracker records it: named after the schema, the data digest (cut to 32
 * hex digits: MLflow keeps at most 36 characters), the source's description (which never holds
 * credentials; redacted again all the same), the schema's features and label, a small profile.
 */
export function trackedDataset(run: RunSpec, schema: DatasetSchema, sourceDescription: string, dataDigest: string, profile: { rows: number; readIssues: number }): TrackedDataset {
  return {
    name: schema.name,
    digest: dataDigest.slice(0, 32),
    sourceType: SOURCE_TYPES[run.source.kind],
    source: JSON.stringify({ uri: redactUri(sourceDescription) }),
    schema: { features: schema.features.map((f) => ({ name: f.name, kind: f.kind })), label: { name: schema.label.name, classes: schema.label.classes } },
    profile: { num_rows: profile.rows, read_issues: profile.readIssues },
    context: 'training',
  };
}

/** The first `n` rows of a frame as records (missing cells left out): a model's input example. */
export function exampleRows(frame: Frame, n = 5): Record<string, string | number>[] {
  return Array.from({ length: Math.min(n, frame.nRows) }, (_, row) => {
    const out: Record<string, string | number> = {};
    for (const c of frame.columns) {
      if (c.kind === 'numeric' && !Number.isNaN(c.values[row])) out[c.name] = c.values[row];
      else if (c.kind === 'categorical' && c.codes[row] >= 0) out[c.name] = c.categories[c.codes[row]];
    }
    return out;
  });
}
