import { z } from 'zod';
import { CalibrationSetting, DEFAULT_TIME_BUDGET_SECONDS, SearchOverrides, ThresholdRuleSchema } from './run-config.js';

/** True when `uri` is the redacted form and the real one is held apart (workers/run-secrets.ts). */
const HeldSecret = z.boolean().optional();

/** Where a run's rows come from. */
export const SourceSpec = z.discriminatedUnion('kind', [
  /** `root`: the data root the API found the file under; the worker checks again that it still is. */
  z.object({ kind: z.literal('csv'), path: z.string().min(1), root: z.string().min(1).optional() }),
  z.object({ kind: z.literal('s3'), uri: z.string().regex(/^s3:\/\/[^/]+\/.+/, 'expected s3://bucket/key'), heldSecret: HeldSecret }),
  z.object({ kind: z.literal('mongodb'), uri: z.string().regex(/^mongodb(\+srv)?:\/\//), db: z.string().min(1), collection: z.string().min(1), heldSecret: HeldSecret }),
]);
export type SourceSpec = z.infer<typeof SourceSpec>;

/** Ids that are safe as BullMQ job ids and artifact path segments: no ':' and not all digits. */
export const RunId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{2,80}$/, 'a run id is 3 to 81 letters, digits, _ . or -, starting with a letter or digit')
  .refine((s) => !/^\d+$/.test(s), 'must not be all digits');

/**
 * Labelled rows of served traffic a run adds to its source (workers/feedback-retrain.ts writes
 * them): a CSV in the artifact store, header = the schema's features then its label. The rows of
 * the source whose features equal a feedback row's are replaced by it (the newer label wins); a
 * `testSize` share of the feedback rows is the run's whole test split (promotion judges on recent
 * traffic); the rest trains beside the source's rows, sampled so feedback is `share` of the
 * training rows (core/pipeline/feedback-split.ts).
 */
export const FeedbackRows = z.object({
  /** Artifact-store key of the CSV: `feedback-datasets/<model>/<run id>.csv`. */
  key: z.string().regex(/^feedback-datasets\/[A-Za-z0-9][A-Za-z0-9_.-]*\/[A-Za-z0-9][A-Za-z0-9_.-]*\.csv$/, 'expected feedback-datasets/<model>/<run id>.csv'),
  rows: z.number().int().min(1),
  /** sha256 of the CSV's bytes. */
  digest: z.string().regex(/^[0-9a-f]{64}$/),
  /** Share of the training rows the feedback rows make up at least (the source's rows sampled to leave room); 0 = every source row. */
  share: z.number().min(0).lt(1),
  /** What they were collected for: the alerting window, and the span of predictions whose labels were read. */
  window: z.object({ model: z.string(), version: z.number().int(), windowId: z.string(), fromMs: z.number().int(), toMs: z.number().int(), sinceMs: z.number().int() }),
});
export type FeedbackRows = z.infer<typeof FeedbackRows>;

/** Everything a training run needs; every stage job carries it (small: no data). */
export const RunSpec = z.object({
  runId: RunId,
  /** Registry name of the model. */
  modelName: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/),
  source: SourceSpec,
  /** The dataset schema, as written in its file (parsed again by each stage). */
  schema: z.record(z.string(), z.unknown()),
  /** Model families to search; default all. */
  families: z.array(z.string()).min(1).optional(),
  folds: z.number().int().min(2).max(20).default(3),
  testSize: z.number().gt(0).lt(1).default(0.2),
  seed: z.number().int().nonnegative().default(42),
  /** After evaluation on the held-out rows, refit the chosen family's best params on all rows and register that. Default false. */
  refitAll: z.boolean().default(false),
  /** Accept a run where some families failed (promotion as usual, exit 0). Default false: such a run is never promoted. */
  allowPartial: z.boolean().default(false),
  gitCommit: z.string().optional(),
  // Bounded search (issue 11): the run's time budget, the deadline it becomes, per-family overrides.
  /** Seconds the whole run may take, ingest to registered model; 0 = no limit. Default DEFAULT_TIME_BUDGET_SECONDS (240). */
  timeBudgetSeconds: z.number().min(0).max(7 * 86_400).default(DEFAULT_TIME_BUDGET_SECONDS),
  /** Epoch ms at which the budget ends; set once when the run is enqueued (see withDeadline). */
  deadline: z.number().int().positive().optional(),
  /** Per-family grid and fixed-param overrides (a run file's `search`), checked against each model's params. */
  search: SearchOverrides.optional(),
  /** How the threat threshold is chosen on out-of-fold scores (a run file's `threshold`); default maximum F1. */
  threshold: ThresholdRuleSchema.optional(),
  /** Calibration of the threat score (a run file's `calibration`). Default auto. */
  calibration: CalibrationSetting.default('auto'),
  /** Labelled feedback rows trained and tested on besides `source` (a drift-triggered retraining run). */
  feedback: FeedbackRows.optional(),
});
export type RunSpec = z.infer<typeof RunSpec>;
export type RunSpecInput = z.input<typeof RunSpec>;

export const IngestResult = z.object({
  rows: z.number().int(),
  dataDigest: z.string(),
  issues: z.number().int(),
  /** With `run.feedback`: the last `rows` of the dataset are feedback rows; `superseded` source rows were replaced by them. */
  feedback: z.object({ rows: z.number().int(), superseded: z.number().int() }).optional(),
});
export const ValidateResult = z.object({ trainRows: z.number().int(), testRows: z.number().int(), driftedColumns: z.number().int(), drifted: z.boolean() });
export const TransformResult = z.object({ outputColumns: z.number().int(), imputedCells: z.number().int() });
export const FamilyResult = z.object({
  family: z.string(),
  params: z.record(z.string(), z.unknown()),
  cvF1: z.number(),
  cvF1Sd: z.number(),
  searchSeconds: z.number(),
  pipelineKey: z.string(),
  /** What the search changed for this data (row caps, smaller grid, a cut search, a sampled refit). */
  notes: z.array(z.string()).default([]),
  /** The chosen config's out-of-fold threat scores (see core/decision/oof-codec.ts). */
  oofKey: z.string().optional(),
  /** Brier score and ECE of the out-of-fold threat scores, raw and as served (calibrated when `method` is not none). */
  calibration: z.object({ method: z.string(), brier: z.number(), ece: z.number(), rawBrier: z.number(), rawEce: z.number(), tried: z.record(z.string(), z.number().nullable()) }).optional(),
});
export const FamilyFailure = z.object({ family: z.string(), error: z.string() });
/** A family that never started: its share of the time budget was gone. */
export const SkippedFamily = z.object({ family: z.string(), skipped: z.string() });
export const TrainFamilyResult = z.union([FamilyResult, SkippedFamily]);
export const TrainResult = z.object({
  families: z.array(FamilyResult),
  failures: z.array(FamilyFailure),
  skipped: z.array(SkippedFamily).default([]),
});
export const RegisterResult = z.object({
  best: z.string(),
  /** Test metrics on the held-out rows (also with refitAll, whose registered pipeline saw those rows). */
  metrics: z.record(z.string(), z.number()),
  version: z.number().int(),
  promoted: z.boolean(),
  reason: z.string(),
  /** Families that failed, and why: a run with any is partial. */
  failures: z.array(FamilyFailure).default([]),
  /** Families that never started because the run's time budget was gone (not failures). */
  skipped: z.array(SkippedFamily).default([]),
  /** Whether the registered pipeline was refitted on all rows after evaluation. */
  refitAll: z.boolean().default(false),
});

export type IngestResult = z.infer<typeof IngestResult>;
export type ValidateResult = z.infer<typeof ValidateResult>;
export type TransformResult = z.infer<typeof TransformResult>;
export type FamilyResult = z.infer<typeof FamilyResult>;
export type SkippedFamily = z.infer<typeof SkippedFamily>;
export type TrainFamilyResult = z.infer<typeof TrainFamilyResult>;
export type TrainResult = z.infer<typeof TrainResult>;
export type FamilyFailure = z.infer<typeof FamilyFailure>;
export type RegisterResult = z.infer<typeof RegisterResult>;

/** The characters a request id may hold (a caller's X-Request-Id is kept only when it matches). */
export const REQUEST_ID_PATTERN = /^[\w.:-]{1,200}$/;
/** The id of the HTTP request that enqueued a job: its worker logs carry it (absent for CLI and scheduled runs). */
export const RequestId = z.string().regex(REQUEST_ID_PATTERN, 'letters, digits and ._:- only, at most 200');

/** The job catalogue: stage name -> payload and result schemas (parsed at the worker). */
export const JOBS = {
  ingest: { payload: z.object({ run: RunSpec, requestId: RequestId.optional() }), result: IngestResult },
  validate: { payload: z.object({ run: RunSpec, requestId: RequestId.optional() }), result: ValidateResult },
  transform: { payload: z.object({ run: RunSpec, requestId: RequestId.optional() }), result: TransformResult },
  'train-family': { payload: z.object({ run: RunSpec, family: z.string(), requestId: RequestId.optional() }), result: TrainFamilyResult },
  train: { payload: z.object({ run: RunSpec, requestId: RequestId.optional() }), result: TrainResult },
  register: { payload: z.object({ run: RunSpec, requestId: RequestId.optional() }), result: RegisterResult },
} as const;
export type StageName = keyof typeof JOBS;
export type StagePayload<S extends StageName> = z.infer<(typeof JOBS)[S]['payload']>;
export type StageResult<S extends StageName> = z.infer<(typeof JOBS)[S]['result']>;

/** The run with its deadline set from its budget, counted from `now` (kept when already set). */
export function withDeadline(run: RunSpec, now = Date.now()): RunSpec {
  if (run.deadline !== undefined || run.timeBudgetSeconds === 0) return run;
  return { ...run, deadline: now + Math.round(run.timeBudgetSeconds * 1000) };
}

/** Stages in run order. */
export const STAGES: StageName[] = ['ingest', 'validate', 'transform', 'train-family', 'train', 'register'];
