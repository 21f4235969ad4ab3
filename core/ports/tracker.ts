/** Experiment tracking (MLflow, or run records in the artifact store). Failures must never fail training. */
export interface Tracker {
  readonly kind: string;
  startRun(opts: { runName: string; tags?: Record<string, string>; parentRunId?: string }): Promise<TrackedRun>;
  /**
   * A handle on a run started earlier (by this or another process). `artifactUri`, kept with the
   * run's pointer, is where its files go; without it the tracker asks its server.
   */
  attach(id: string, artifactUri?: string): TrackedRun;
  /**
   * Mirrors a registered version into the tracker's own registry, when it has one (as an MLflow
   * Model: the pipeline, a signature from the schema and an input example), pointing the
   * `production` alias at it when promoted.
   */
  registerModel?(name: string, run: TrackedRun, model: RegisteredModelInfo): Promise<void>;
  /** Moves the tracker's alias (and pin) after a change in our registry; `version` null = none. */
  moveAlias?(name: string, alias: string, version: number | null, pinned: boolean): Promise<void>;
}

/** The parts of a dataset schema a tracker records: feature names and kinds, the label. */
export interface TrackedSchema {
  features: { name: string; kind: 'numeric' | 'categorical' }[];
  label: { name: string; classes: (string | number)[] };
}

export interface RegisteredModelInfo {
  /** Our version number. */
  version: number;
  production: boolean;
  schema: TrackedSchema;
  /** A few input rows, feature name -> value. */
  example: Record<string, string | number>[];
}

export type RunStatus = 'FINISHED' | 'FAILED' | 'KILLED';

/** A dataset a run used (name, digest, where from without credentials, schema). */
export interface TrackedDataset {
  name: string;
  digest: string;
  sourceType: string;
  source: string;
  schema: TrackedSchema;
  /** Summary figures (rows, read issues). */
  profile: Record<string, number>;
  /** `training`, `evaluation`... */
  context: string;
}

export interface TrackedRun {
  readonly id: string;
  /** Where the run's files go, when the tracker knows it (kept with the run's pointer). */
  readonly artifactUri?: string;
  logParams(params: Record<string, string | number | boolean>): Promise<void>;
  logMetrics(metrics: Record<string, number>, step?: number): Promise<void>;
  setTags(tags: Record<string, string>): Promise<void>;
  /** Stores a file with the run (its artifact location decides where). */
  logArtifact(path: string, body: Uint8Array | string): Promise<void>;
  /** Records the datasets the run used, when the tracker supports it. */
  logDatasets?(datasets: TrackedDataset[]): Promise<void>;
  end(status: RunStatus): Promise<void>;
}
