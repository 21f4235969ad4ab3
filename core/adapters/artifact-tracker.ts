import { randomUUID } from 'node:crypto';
import { getJson, putJson } from '../artifacts/json.js';
import type { ArtifactStore } from '../ports/artifact-store.js';
import type { RunStatus, TrackedRun, Tracker } from '../ports/tracker.js';

interface Record_ {
  id: string;
  name: string;
  parentRunId?: string;
  tags: Record<string, string>;
  params: Record<string, string>;
  metrics: { key: string; value: number; step: number; timestamp: number }[];
  status: string;
}

/** The default tracker when no MLflow server is configured: run records as JSON in the artifact store. */
export class ArtifactTracker implements Tracker {
  readonly kind = 'artifacts';
  constructor(private readonly store: ArtifactStore) {}

  private key(id: string): string {
    return `tracking/${id}.json`;
  }

  async startRun(opts: { runName: string; tags?: Record<string, string>; parentRunId?: string }): Promise<TrackedRun> {
    const id = randomUUID();
    const record: Record_ = { id, name: opts.runName, parentRunId: opts.parentRunId, tags: opts.tags ?? {}, params: {}, metrics: [], status: 'RUNNING' };
    await putJson(this.store, this.key(id), record);
    return this.attach(id);
  }

  attach(id: string): TrackedRun {
    const update = async (change: (r: Record_) => void) => {
      const r = await getJson<Record_>(this.store, this.key(id));
      if (!r) throw new Error(`no tracked run ${id}`);
      change(r);
      await putJson(this.store, this.key(id), r);
    };
    return {
      id,
      logParams: (params) => update((r) => Object.entries(params).forEach(([k, v]) => (r.params[k] = String(v)))),
      logMetrics: (metrics, step = 0) => update((r) => (r.metrics = r.metrics.concat(Object.entries(metrics).map(([key, value]) => ({ key, value, step, timestamp: Date.now() }))))),
      setTags: (tags) => update((r) => Object.assign(r.tags, tags)),
      logArtifact: (path, body) => this.store.put(`tracking/${id}/artifacts/${path}`, body).then(() => undefined),
      end: (status: RunStatus) => update((r) => (r.status = status)),
    };
  }
}
