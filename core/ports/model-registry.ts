import type { OperatingPointSummary } from '../decision/operating-point.js';
import type { ThresholdRule } from '../decision/threshold-rule.js';
import type { ThresholdEvent, ThresholdState } from '../registry/threshold-log.js';
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
  /** Mean |SHAP| per feature on the test rows (at most 2,000), largest first; absent for MLP and KNN. */
  importance?: { output: 'margin' | 'probability'; rows: number; features: { feature: string; meanAbs: number }[] };
  /** Families of the run that failed; `allowPartial` whether the run accepted that. */
  failures?: { family: string; error: string }[];
  allowPartial?: boolean;
  gitCommit?: string;
  /**
   * Lineage of a drift-triggered run's feedback rows, trained and tested on besides the run's source
   * (core/pipeline/feedback-split.ts): the CSV's key and digest, rows, source rows they replaced,
   * source rows trained on (a sample when feedback is to make up a share), the feedback split, and
   * the alerting window they were collected for.
   */
  feedback?: FeedbackLineage;
  /** The threat threshold chosen at training, the rule, and how it does (core/decision/operating-point.ts). */
  operatingPoint?: OperatingPointSummary;
  createdAt: string;
}

export interface FeedbackLineage {
  key: string;
  digest: string;
  rows: number;
  superseded: number;
  sourceTrainRows: number;
  trainRows: number;
  testRows: number;
  window: { model: string; version: number; windowId: string; fromMs: number; toMs: number; sinceMs: number };
}

/** Versioned models with aliases (`production`); the artifact store is the source of truth. */
export interface ModelRegistry {
  /**
   * Registers the model of run `runId` as the next version of `name`, with the hashes of the rows
   * it was fitted on. Idempotent per run: a retried run gets the version it already has.
   */
  register(name: string, model: ModelJSON, manifest: Omit<ModelManifest, 'name' | 'version' | 'createdAt'>, trainingRows?: Float64Array): Promise<ModelManifest>;
  /** Content hashes of the rows `version` was fitted on, sorted (core/registry/training-rows.ts); undefined when not recorded. */
  trainingRows(name: string, version: number): Promise<Float64Array | undefined>;
  versions(name: string): Promise<ModelManifest[]>;
  get(name: string, ref: number | string): Promise<{ manifest: ModelManifest; model: ModelJSON } | undefined>;
  /**
   * Moves or pins an alias. Every change is one audited event appended atomically: concurrent
   * changes from any number of processes are all kept, in order, and the alias is the last one.
   */
  changeAlias(name: string, alias: string, change: AliasChange): Promise<AliasChangeResult>;
  alias(name: string, alias: string): Promise<number | undefined>;
  /** The alias now: version, pin, the versions rollback walks back through, every event. */
  aliasState(name: string, alias: string): Promise<AliasState>;
  names(): Promise<string[]>;
  /** A version's threat threshold now (`seq` counts its changes); undefined when there is no such version. */
  threshold(name: string, version: number): Promise<{ threshold: number; seq: number } | undefined>;
  /** A version's threshold with every change (undefined when there is no such version). */
  thresholdState(name: string, version: number): Promise<ThresholdState | undefined>;
  /** Sets a version's threshold: one audited event appended atomically (as alias changes are). */
  changeThreshold(name: string, version: number, change: ThresholdChange): Promise<{ event: ThresholdEvent; state: ThresholdState }>;
}

/** A threshold change: the new value, the rule that chose it (if one did), who and why. */
export interface ThresholdChange {
  to: number;
  rule?: ThresholdRule;
  by: string;
  why: string;
}

/** Who asked and why: `by` is `api:<key id>`, `cli:<user>`, `run:<run id>`; `why` a note or the rule's result. */
interface Audit {
  by: string;
  why: string;
}

/**
 * `promote` (a person's choice) and `rollback` pin the alias; `auto-promote` (a run's promotion
 * rule) is refused while it is pinned; `pin` / `unpin` change only the pin.
 */
export type AliasChange =
  | (Audit & { action: 'promote'; version: number })
  /** `expected`: the production version the run compared against; refused if production moved since. */
  | (Audit & { action: 'auto-promote'; version: number; expected?: number | null })
  | (Audit & { action: 'rollback' | 'pin' | 'unpin' });

/** One change of an alias, as kept in its append-only log. */
export interface AliasEvent extends Audit {
  seq: number;
  action: AliasChange['action'];
  from: number | null;
  to: number | null;
  /** Whether the alias is pinned after this event. */
  pinned: boolean;
  at: string;
}

/** The alias after its event number `seq` (0: none yet). */
export interface AliasSnapshot {
  seq: number;
  version: number | undefined;
  pinned: boolean;
  /** Production versions in the order they were promoted, the current one last: rollback pops. */
  stack: number[];
  /** Who made the last change. */
  lastBy: string | undefined;
}

export interface AliasState extends AliasSnapshot {
  events: AliasEvent[];
}

export type AliasChangeResult = { changed: true; event: AliasEvent; state: AliasSnapshot } | { changed: false; reason: string; state: AliasSnapshot };
