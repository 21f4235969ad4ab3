import { availableParallelism } from 'node:os';
import { Readable } from 'node:stream';
import { parseDatasetSchema, type DatasetSchema } from '../../schema/index.js';
import type { IngestResult, RegisterResult, RunSpec, TrainFamilyResult, TrainResult, TransformResult, ValidateResult } from '../../schema/jobs.js';
import { decodeDataset, encodeDatasetParts } from '../artifacts/dataset-codec.js';
import { canonicalJson, sha256 } from '../artifacts/digest.js';
import { getJson, putJson } from '../artifacts/json.js';
import { readCsv } from '../data/csv-reader.js';
import { takeDataset, type Dataset } from '../data/frame.js';
import type { DataIssue } from '../data/read-issues.js';
import { stratifiedSplit } from '../data/split.js';
import { PermanentError } from '../errors.js';
import { calibrateFamily } from '../calibration/family-calibration.js';
import { threatIndices } from '../calibration/threat-score.js';
import { globalImportance } from '../explain/global-importance.js';
import { classificationReport } from '../metrics/classification-report.js';
import { decodeOutOfFold } from '../decision/oof-codec.js';
import { operatingPoint } from '../decision/operating-point.js';
import type { ModelJSON } from '../models/model.js';
import type { FeedbackLineage } from '../ports/model-registry.js';
import type { TrackedDataset } from '../ports/tracker.js';
import { Pipeline } from '../models/pipeline.js';
import { compareWithChampion } from '../registry/champion-comparison.js';
import { decidePromotion, type PromotionDecision } from '../registry/promotion.js';
import { rowHashes } from '../registry/training-rows.js';
import { FeatureEncoder } from '../transform/feature-encoder.js';
import { familyDeadline, NoTimeLeftError, registerReserveMs } from '../tuning/budget.js';
import type { Family } from '../tuning/families.js';
import { FoldCache } from '../tuning/fold-cache.js';
import { searchInTurn } from '../tuning/grid-search.js';
import { resolveFamilies } from '../tuning/run-families.js';
import { driftReport } from '../validation/drift/drift-report.js';
import { assertValid, validateDataset } from '../validation/validate-dataset.js';
import { championTrainingRows } from './champion-rows.js';
import { allRowsOf, feedbackSplit, withFeedback } from './feedback-split.js';
import { refitOnAllRows } from './refit-all.js';
import { withoutCredentials } from '../security/redact.js';
import { runKeys } from './run-keys.js';
import { exampleRows, track, trackedDataset, trackedRun } from './tracking.js';
import type { StageDeps } from './stage-deps.js';

const schemaOf = (run: RunSpec): DatasetSchema => parseDatasetSchema(JSON.stringify(run.schema), `run ${run.runId} schema`);

async function loadDataset(deps: StageDeps, key: string): Promise<Dataset> {
  const bytes = await deps.store.get(key);
  if (!bytes) throw new Error(`missing artifact ${key} (did the previous stage run?)`);
  return decodeDataset(bytes);
}

/** Families to search, in start order: the run's list (or all six) with its run-file overrides. Bad ones fail the run (no retry). */
export function familiesOf(run: RunSpec): Family[] {
  return resolveFamilies(run.families, run.search);
}

/** Reads the source into the run's dataset object; cell-level issues are kept for validation. */
export async function ingest(run: RunSpec, deps: StageDeps): Promise<IngestResult> {
  const keys = runKeys(run.runId);
  const schema = schemaOf(run);
  // Stored for reading back: without the data URI's credentials (the run was handed the real one).
  await putJson(deps.store, keys.spec, withoutCredentials(run));
  const source = deps.source(run.source);
  const read = await source.read(schema, { onProgress: () => deps.onProgress?.(50) });
  const fed = run.feedback && (await readFeedbackRows(run, schema, read.dataset, deps));
  const dataset = fed ? fed.dataset : read.dataset;
  const issues = fed ? [...read.issues, ...fed.issues] : read.issues;
  // Parts are views of the dataset's columns: stored and hashed without a second copy in memory.
  const bytes = encodeDatasetParts(dataset);
  await deps.store.put(keys.dataset, bytes);
  await putJson(deps.store, keys.ingestIssues, issues);
  const result: IngestResult = { rows: dataset.features.nRows, dataDigest: sha256(bytes), issues: issues.length, ...(fed && { feedback: { rows: fed.rows, superseded: fed.superseded } }) };
  const tracked = await trackedRun(run, deps);
  await track(deps, 'ingest params', async () => {
    await tracked?.logParams({ source: source.description, families: familiesOf(run).map((f) => f.kind).join(','), folds: run.folds, testSize: run.testSize, seed: run.seed, ...(run.feedback && { feedback: run.feedback.key }) });
    await tracked?.logMetrics({ rows: dataset.features.nRows, readIssues: issues.length, ...(fed && { feedbackRows: fed.rows, supersededRows: fed.superseded }) });
    const sourceRows = read.dataset.features.nRows;
    const datasets = [trackedDataset(run, schema, source.description, fed ? sha256(encodeDatasetParts(read.dataset)) : result.dataDigest, { rows: sourceRows, readIssues: read.issues.length })];
    if (fed && run.feedback) datasets.push(trackedFeedback(run.feedback, datasets[0], fed.rows, fed.issues.length));
    await tracked?.logDatasets?.(datasets);
  });
  // Kept for the register stage, which records the digest without reading the dataset again.
  await putJson(deps.store, keys.ingestSummary, result);
  deps.onProgress?.(100);
  return result;
}

/** The run's feedback CSV (checked against its digest), appended to the source's rows (feedback-split.ts). */
async function readFeedbackRows(run: RunSpec, schema: DatasetSchema, source: Dataset, deps: StageDeps) {
  const spec = run.feedback!;
  const bytes = await deps.store.get(spec.key);
  if (!bytes) throw new PermanentError(`the run's feedback rows ${spec.key} are not in the artifact store`);
  if (sha256(bytes) !== spec.digest) throw new PermanentError(`the run's feedback rows ${spec.key} changed since the run started (digest differs)`);
  const read = await readCsv(Readable.from([Buffer.from(bytes)]), schema);
  const issues = read.issues.map((i) => ({ ...i, message: `feedback rows (${spec.key}): ${i.message}` }));
  const { dataset, superseded } = withFeedback(source, read.dataset);
  return { dataset, issues, superseded, rows: read.dataset.features.nRows };
}

/** The feedback rows as a tracker records a dataset (beside the source's). */
function trackedFeedback(spec: NonNullable<RunSpec['feedback']>, source: TrackedDataset, rows: number, readIssues: number): TrackedDataset {
  return {
    ...source,
    name: `${source.name}-feedback`,
    digest: spec.digest.slice(0, 32),
    sourceType: 'artifact',
    source: JSON.stringify({ uri: spec.key, window: spec.window.windowId }),
    profile: { num_rows: rows, read_issues: readIssues },
  };
}

/**
 * Checks the data against the schema (the report is stored either way; a failure is permanent),
 * splits it into train and test (stratified, seeded) and stores the train-vs-test drift report.
 */
export async function validate(run: RunSpec, deps: StageDeps): Promise<ValidateResult> {
  const keys = runKeys(run.runId);
  const schema = schemaOf(run);
  const data = await loadDataset(deps, keys.dataset);
  const readIssues = (await getJson<DataIssue[]>(deps.store, keys.ingestIssues)) ?? [];
  const report = validateDataset(data, schema, { readIssues });
  await putJson(deps.store, keys.validation, report);
  deps.onProgress?.(30);
  if (!report.ok) {
    const tracked = await trackedRun(run, deps);
    await track(deps, 'failed validation', async () => {
      await tracked?.logArtifact('validate/report.json', JSON.stringify(report, null, 2));
      await tracked?.end('FAILED');
    });
  }
  assertValid(report);
  const { train, test } = await splitOf(run, data, deps);
  const trainSet = takeDataset(data, train);
  const testSet = takeDataset(data, test);
  await deps.store.put(keys.train, encodeDatasetParts(trainSet));
  await deps.store.put(keys.test, encodeDatasetParts(testSet));
  const drift = driftReport(trainSet.features, testSet.features);
  await putJson(deps.store, keys.drift, drift);
  const tracked = await trackedRun(run, deps);
  await track(deps, 'validate metrics', async () => {
    await tracked?.logMetrics({ trainRows: train.length, testRows: test.length, driftedColumns: drift.driftedColumns });
    await tracked?.logArtifact('validate/report.json', JSON.stringify(report, null, 2));
    await tracked?.logArtifact('validate/drift.json', JSON.stringify(drift, null, 2));
  });
  deps.onProgress?.(100);
  return { trainRows: train.length, testRows: test.length, driftedColumns: drift.driftedColumns, drifted: drift.drifted };
}

/** The run's split: stratified and seeded, or with feedback rows as feedback-split.ts says (kept for register). */
async function splitOf(run: RunSpec, data: Dataset, deps: StageDeps): Promise<{ train: Int32Array; test: Int32Array }> {
  if (!run.feedback) return stratifiedSplit(data.labels, run.testSize, run.seed);
  const keys = runKeys(run.runId);
  const fed = (await getJson<IngestResult>(deps.store, keys.ingestSummary))?.feedback;
  if (!fed) throw new Error(`missing artifact ${keys.ingestSummary} (did the ingest stage run?)`);
  const split = feedbackSplit(data, fed.rows, run.feedback.share, run.testSize, run.seed);
  const lineage: FeedbackLineage = {
    key: run.feedback.key,
    digest: run.feedback.digest,
    rows: fed.rows,
    superseded: fed.superseded,
    sourceTrainRows: split.sourceTrainRows,
    trainRows: fed.rows - split.test.length,
    testRows: split.test.length,
    window: run.feedback.window,
  };
  await putJson(deps.store, keys.feedbackSplit, lineage);
  return split;
}

/**
 * Profiles the preprocessing the families will fit on the training rows: the one-hot matrix's
 * width and the missing cells to impute. Nothing fitted is stored: each family fits its own
 * preprocessing per CV fold (one fitted on all training rows would leak into the folds) and on
 * its refit rows (a sample when time is short), so a stored one was never read.
 */
export async function transform(run: RunSpec, deps: StageDeps): Promise<TransformResult> {
  const keys = runKeys(run.runId);
  const train = await loadDataset(deps, keys.train);
  const outputColumns = new FeatureEncoder().fit(train.features).outputNames.length;
  deps.onProgress?.(50);
  let imputedCells = 0;
  for (const c of train.features.columns) {
    const values = c.kind === 'numeric' ? c.values : c.codes;
    for (const v of values) if (c.kind === 'numeric' ? Number.isNaN(v) : v < 0) imputedCells++;
  }
  const summary = { outputColumns, imputedCells };
  await putJson(deps.store, keys.transform, summary);
  deps.onProgress?.(100);
  return summary;
}

/**
 * Searches one family (successive halving, stratified k-fold CV on the training rows) within its
 * share of the run's deadline and stores its refit pipeline; reports it skipped when its share is
 * gone before it could start (never the first family, so a run always registers a model).
 * `slots`: families searched side by side (train-family workers, about one per core).
 */
export async function trainFamily(run: RunSpec, kind: string, deps: StageDeps, slots = availableParallelism()): Promise<TrainFamilyResult> {
  const keys = runKeys(run.runId);
  const families = familiesOf(run);
  const at = families.findIndex((f) => f.kind === kind);
  if (at < 0) throw new PermanentError(`model family "${kind}" is not one of this run's (${families.map((f) => f.kind).join(', ')})`);
  const searchDeadline = run.deadline === undefined ? undefined : run.deadline - registerReserveMs(run.timeBudgetSeconds);
  const skip = async () => {
    const skipped = { family: kind, skipped: 'no time left' };
    await putJson(deps.store, keys.familyResult(kind), skipped);
    return skipped;
  };
  if (at > 0 && searchDeadline !== undefined && familyDeadline(Date.now(), searchDeadline, families.slice(at), slots) === undefined) return skip();
  const train = await loadDataset(deps, keys.train);
  const cache = new FoldCache(train, run.folds, run.seed);
  const threatClasses = threatIndices(train.classes, schemaOf(run).label.threat);
  let r;
  try {
    r = await searchInTurn(families[at], families.slice(at + 1), at === 0, train, cache, slots, {
      seed: run.seed,
      deadline: searchDeadline,
      threatClasses,
      onProgress: ({ done, total, secondsLeft }) => deps.onProgress?.(Math.floor((100 * done) / total), secondsLeft),
    });
  } catch (err) {
    if (err instanceof NoTimeLeftError) return skip();
    throw err;
  }
  const calibrated = calibrateFamily(r.oof, threatClasses, run.calibration);
  const result = {
    family: kind,
    params: r.params,
    cvF1: r.cvF1,
    cvF1Sd: r.cvF1Sd,
    searchSeconds: r.searchSeconds,
    pipelineKey: keys.familyPipeline(kind),
    notes: r.notes,
    oofKey: keys.familyOof(kind),
    calibration: calibrated.summary,
  };
  await deps.store.put(keys.familyOof(kind), calibrated.oofBytes);
  await putJson(deps.store, keys.familyPipeline(kind), r.pipeline.withCalibrator(calibrated.calibrator).toJSON());
  await putJson(deps.store, keys.familyResult(kind), { ...result, rows: r.rows, refitRows: r.refitRows, stoppedEarly: r.stoppedEarly, configs: r.configs });
  const tracked = await trackedRun(run, deps, kind);
  const logged = await track(deps, `${kind} results`, async () => {
    await tracked?.logParams(Object.fromEntries(Object.entries(r.params).map(([k, v]) => [k, JSON.stringify(v)])));
    await tracked?.logMetrics({ cvF1: r.cvF1, cvF1Sd: r.cvF1Sd, searchSeconds: r.searchSeconds, configs: r.configs.length, refitRows: r.refitRows });
    const c = calibrated.summary;
    await tracked?.logMetrics({ oof_brier: c.brier, oof_ece: c.ece, oof_raw_brier: c.rawBrier, oof_raw_ece: c.rawEce });
    await tracked?.setTags({ 'threatmatrix.calibration': c.method });
    return true;
  });
  await track(deps, `end ${kind}`, async () => tracked?.end(logged ? 'FINISHED' : 'FAILED'));
  return result;
}

/**
 * Picks the family with the best CV score, scores it on the test rows, registers it as the next
 * version and makes it `production` when it beats the current production model re-scored on the
 * same test rows (the promotion rule); otherwise it stays a candidate version. A partial run (some
 * family failed) is registered but never promoted unless the run allows it. With `refitAll` the
 * registered pipeline is the chosen family's best params fitted again on every row, after the
 * evaluation; the recorded metrics stay the held-out ones and the manifest says so.
 */
export async function register(run: RunSpec, trained: TrainResult, deps: StageDeps): Promise<RegisterResult> {
  try {
    return await registerBest(run, trained, deps);
  } catch (err) {
    // A failed registry call (ours or the tracker's) must not leave the tracked run RUNNING.
    const tracked = await trackedRun(run, deps);
    await track(deps, 'failed register', async () => tracked?.end('FAILED'));
    throw err;
  }
}

async function registerBest(run: RunSpec, trained: TrainResult, deps: StageDeps): Promise<RegisterResult> {
  const keys = runKeys(run.runId);
  if (!trained.families.length) {
    const tracked = await trackedRun(run, deps);
    await track(deps, 'failed run', async () => tracked?.end('FAILED'));
    throw new PermanentError(`every model family failed: ${trained.failures.map((f) => `${f.family}: ${f.error}`).join('; ')}`);
  }
  const best = trained.families.reduce((a, b) => (b.cvF1 > a.cvF1 ? b : a));
  const test = await loadDataset(deps, keys.test);
  const evaluated = await getJson<ModelJSON>(deps.store, best.pipelineKey);
  if (!evaluated) throw new Error(`missing artifact ${best.pipelineKey}`);
  const candidate = await Pipeline.fromJSON(evaluated);
  const candidateProba = candidate.predictProba(test.features);
  const r = classificationReport(test.labels, candidateProba, test.classes, test.positiveClass);
  const metrics = { accuracy: r.accuracy, precision: r.precision, recall: r.recall, f1: r.f1, macroF1: r.macroF1, rocAuc: r.rocAuc, prAuc: r.prAuc };
  // The threshold is chosen on the family's out-of-fold scores; curves and figures are the test rows'.
  const oofBytes = best.oofKey ? await deps.store.get(best.oofKey) : undefined;
  const threatClasses = threatIndices(test.classes, schemaOf(run).label.threat);
  const op = operatingPoint(oofBytes && decodeOutOfFold(oofBytes), run.threshold, { labels: test.labels, proba: candidateProba, K: test.classes.length, threatClasses }, best.calibration?.method ?? 'none', keys.operatingPoint);
  await putJson(deps.store, keys.operatingPoint, op.curves);
  deps.onProgress?.(40);
  // Production is scored only on test rows it was not trained on (core/registry/champion-comparison.ts).
  const production = await deps.registry.get(run.modelName, 'production');
  const champion = production && (await Pipeline.fromJSON(production.model));
  const comparison = production && compareWithChampion(deps.promotion, test, rowHashes(test), candidateProba, {
    version: production.manifest.version,
    predictProba: (frame) => champion!.predictProba(frame),
    trainingRows: await championTrainingRows(deps, production.manifest),
  }, run.seed);
  const decision = partialRunRule(run, trained, decidePromotion(deps.promotion, metrics, comparison));
  const ingested = await getJson<IngestResult>(deps.store, keys.ingestSummary);
  const dataDigest = ingested?.dataDigest ?? sha256((await deps.store.get(keys.dataset)) ?? new Uint8Array());
  const testRows = test.labels.length;
  let modelJson = evaluated;
  const feedback = run.feedback ? await getJson<FeedbackLineage>(deps.store, keys.feedbackSplit) : undefined;
  const fittedOn = await loadDataset(deps, run.refitAll ? keys.dataset : keys.train);
  // A refit on all rows takes the source rows the split kept, and every feedback row.
  const refitRows = run.refitAll && feedback ? takeDataset(fittedOn, allRowsOf(fittedOn, feedback.rows, feedback.sourceTrainRows, run.seed)) : fittedOn;
  if (run.refitAll) {
    modelJson = await refitOnAllRows(familiesOf({ ...run, families: [best.family] })[0], best.params, refitRows);
    // The calibration fitted on the family's out-of-fold scores carries over to the refit.
    const calibrator = (evaluated.state as { calibrator?: unknown }).calibrator;
    if (calibrator) modelJson = { ...modelJson, state: { ...(modelJson.state as object), calibrator } };
    deps.onProgress?.(80);
  }
  // Without a refit the registered model is the evaluated one: no second copy is built.
  const importance = await globalImportance(run.refitAll ? await Pipeline.fromJSON(modelJson) : candidate, test.features);
  const manifest = await deps.registry.register(run.modelName, modelJson, {
    runId: run.runId,
    family: best.family,
    params: best.params,
    metrics,
    schemaHash: sha256(canonicalJson(run.schema)),
    schema: run.schema,
    dataDigest,
    evaluation: { metricsOn: 'held-out test rows', trainRows: (ingested?.rows ?? testRows) - testRows, testRows, refitOnAllRows: run.refitAll },
    failures: trained.failures,
    allowPartial: run.allowPartial,
    gitCommit: run.gitCommit,
    ...(importance && { importance }),
    operatingPoint: op.summary,
    ...(feedback && { feedback }),
  }, rowHashes(refitRows));
  let promoted = decision.promote;
  let reason = decision.reason;
  if (decision.promote) {
    const moved = await deps.registry.changeAlias(run.modelName, 'production', { action: 'auto-promote', version: manifest.version, expected: production?.manifest.version ?? null, by: `run:${run.runId}`, why: decision.reason });
    if (!moved.changed) [promoted, reason] = [false, `${decision.reason}, but ${moved.reason}`];
  }
  const result: RegisterResult = { best: best.family, metrics, version: manifest.version, promoted, reason, failures: trained.failures, skipped: trained.skipped, refitAll: run.refitAll };
  const record = { ...result, comparison, families: trained.families, allowPartial: run.allowPartial, operatingPoint: op.summary };
  await putJson(deps.store, keys.metrics, record);
  const tracked = await trackedRun(run, deps);
  // The tracked run ends whatever happens to the calls before: a failed one ends it FAILED.
  const logged = await track(deps, 'register', async () => {
    if (!tracked) return;
    await tracked.logMetrics(Object.fromEntries(Object.entries(metrics).map(([k, v]) => [`test_${k}`, v])));
    const { test: at, calibration: cal } = op.summary;
    await tracked.logMetrics({ threshold: op.summary.threshold, test_fpr_at_threshold: at.fpr, test_recall_at_threshold: at.recall, test_precision_at_threshold: at.precision, test_brier: cal.testBrier, test_ece: cal.testEce });
    await tracked.logArtifact('evaluate/operating-point.json', JSON.stringify({ summary: op.summary, curves: op.curves }));
    await tracked.setTags({
      'threatmatrix.best': best.family,
      'threatmatrix.version': String(manifest.version),
      'threatmatrix.promoted': String(promoted),
      'threatmatrix.failedFamilies': trained.failures.map((f) => f.family).join(',') || 'none',
      'threatmatrix.refitAll': String(run.refitAll),
      ...(feedback && { 'threatmatrix.feedback': feedback.key, 'threatmatrix.feedbackRows': String(feedback.rows), 'threatmatrix.feedbackWindow': feedback.window.windowId }),
    });
    await tracked.logArtifact('evaluate/metrics.json', JSON.stringify(record, null, 2));
    await tracked.logArtifact('model/model.json', JSON.stringify(modelJson));
    if (importance) await tracked.logArtifact('explain/importance.json', JSON.stringify(importance, null, 2));
    await deps.tracker?.registerModel?.(run.modelName, tracked, { version: manifest.version, production: promoted, schema: schemaOf(run), example: exampleRows(test.features) });
    return true;
  });
  await track(deps, 'end run', async () => tracked?.end(logged ? 'FINISHED' : 'FAILED'));
  deps.onProgress?.(100);
  return result;
}

/** A run where families failed is kept as a candidate unless it allows a partial outcome. */
function partialRunRule(run: RunSpec, trained: TrainResult, decision: PromotionDecision): PromotionDecision {
  if (!trained.failures.length || run.allowPartial || !decision.promote) return decision;
  const failed = trained.failures.map((f) => f.family).join(', ');
  return { promote: false, reason: `not promoted: a partial run (${failed} failed); allowPartial accepts one` };
}
