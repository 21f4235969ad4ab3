/** Experiment tracking (MLflow, or run records in the artifact store). Failures must never fail training. */
export interface Tracker {
  readonly kind: string;
  startRun(opts: { runName: string; tags?: Record<string, string>; parentRunId?: string }): Promise<TrackedRun>;
  /** A handle on a run started earlier (by this or another process). */
  attach(id: string): TrackedRun;
  /** Mirrors a registered version into the tracker's own registry, when it has one. */
  registerModel?(name: string, run: TrackedRun, production: boolean): Promise<void>;
}

export type RunStatus = 'FINISHED' | 'FAILED' | 'KILLED';

export interface TrackedRun {
  readonly id: string;
  logParams(params: Record<string, string | number | boolean>): Promise<void>;
  logMetrics(metrics: Record<string, number>, step?: number): Promise<void>;
  setTags(tags: Record<string, string>): Promise<void>;
  /** Stores a file with the run (its artifact location decides where). */
  logArtifact(path: string, body: Uint8Array | string): Promise<void>;
  end(status: RunStatus): Promise<void>;
}
