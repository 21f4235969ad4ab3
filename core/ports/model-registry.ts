import type { ModelJSON } from '../models/model.js';

/** What is known about a registered model version. */
export interface ModelManifest {
  name: string;
  version: number;
  runId: string;
  family: string;
  params: Record<string, unknown>;
  /** Test-set metrics of the run that produced it (threat class positive). */
  metrics: Record<string, number>;
  schemaHash: string;
  /** The dataset schema the model was trained on, as written (so a version is self-contained). */
  schema?: Record<string, unknown>;
  dataDigest: string;
  /**
   * What `metrics` were measured on: the held-out test rows. `refitOnAllRows` says the registered
   * pipeline was fitted again on every row afterwards (so the metrics describe its 80 % twin).
   */
  evaluation?: { metricsOn: 'held-out test rows'; trainRows: number; testRows: number; refitOnAllRows: boolean };
  /** Families of the run that failed; `allowPartial` whether the run accepted that. */
  failures?: { family: string; error: string }[];
  allowPartial?: boolean;
  gitCommit?: string;
  createdAt: string;
}

/** Versioned models with aliases (`production`); the artifact store is the source of truth. */
export interface ModelRegistry {
  /**
   * Registers the model of run `runId` as the next version of `name`. Idempotent per run: a
   * retried run gets the version it already has.
   */
  register(name: string, model: ModelJSON, manifest: Omit<ModelManifest, 'name' | 'version' | 'createdAt'>): Promise<ModelManifest>;
  versions(name: string): Promise<ModelManifest[]>;
  get(name: string, ref: number | string): Promise<{ manifest: ModelManifest; model: ModelJSON } | undefined>;
  setAlias(name: string, alias: string, version: number): Promise<void>;
  alias(name: string, alias: string): Promise<number | undefined>;
  /** Versions the alias pointed at, oldest first (for rollback). */
  aliasHistory(name: string, alias: string): Promise<{ version: number; at: string }[]>;
  names(): Promise<string[]>;
}
