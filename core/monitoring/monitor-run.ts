import { parseDatasetSchema, type DatasetSchema } from '../../schema/index.js';
import { getJson, putJson } from '../artifacts/json.js';
import { runKeys } from '../pipeline/run-keys.js';
import type { Alert, AlertSink } from '../ports/alert-sink.js';
import type { ArtifactStore } from '../ports/artifact-store.js';
import type { ModelRegistry } from '../ports/model-registry.js';
import type { Tracker, TrackedRun } from '../ports/tracker.js';
import { DEFAULT_ALERT_LIMITS, type AlertLimits } from './alert-rules.js';
import { feedbackInWindow } from './feedback-store.js';
import { loadReference, type MonitorReference, type ReferenceOptions } from './monitor-reference.js';
import { computeWindow, windowAlert } from './monitor-window.js';
import type { LoggedPrediction } from './prediction-log-format.js';
import type { WindowReport } from './window-report.js';
import { readWindow, type TimeWindow } from './prediction-log-reader.js';
import { getWindow, listWindowIds, MAX_WINDOW_MS, MONITORING_ROOT, parseWindowId, saveWindow, windowId, type MonitorWindow } from './window-store.js';

/** What the monitor hands a retraining action when a window alerts. */
export interface RetrainContext {
  model: string;
  version: number;
  windowId: string;
  fromMs: number;
  toMs: number;
  rules: Alert['rules'];
}

/** Starts a retraining run for an alerting window (workers/feedback-retrain.ts); should be idempotent per windowId. */
/** Starts a retraining run for an alerting window; undefined when it started none (too little feedback: said in its log). */
export type RetrainHook = (ctx: RetrainContext) => Promise<{ runId: string; feedbackRows: number } | undefined>;

/**
 * Side effects done at most once per key across retries and processes (a Redis key in the
 * workers): `fn` runs only for the first caller, whose result later callers get back.
 * When `fn` throws the key is released, so a retry tries again.
 */
export interface OnceMarks {
  once<T>(key: string, fn: () => Promise<T>): Promise<T | undefined>;
}

export interface MonitorSettings {
  /** Time window length, ms (also the first run's look-back). */
  windowMs: number;
  /** Logged predictions per window (count windows); 0 = time windows. */
  windowRows: number;
  /** Fewer rows wait for more, and never alert. */
  minRows: number;
  /** Rows older than this are reported however few. */
  maxAgeMs: number;
  /** Rows newer than now minus this are left for the next run (log writers flush every 10 s). Default 60 s. */
  settleMs?: number;
  /** Windows one run reports at most (a monitor behind catches up over several runs). Default 24. */
  maxWindows?: number;
  limits?: AlertLimits;
  /** Per-model limits over `limits` (TM_ALERT_LIMITS). */
  modelLimits?: Record<string, AlertLimits>;
  reference?: ReferenceOptions;
}

export interface MonitorDeps {
  store: ArtifactStore;
  registry: ModelRegistry;
  marks: OnceMarks;
  log: { info(o: object, msg: string): void; warn(o: object, msg: string): void };
  /** Where alerts go besides the log (the webhook). */
  sink?: AlertSink;
  /** Per-window metrics go to a tracked run per version (MLflow) when set. */
  tracker?: Tracker;
  /** Called for alerting windows when set (TM_MONITOR_RETRAIN); its result is the window's action. */
  retrain?: RetrainHook;
  now?: () => number;
}

export interface MonitorRunResult {
  model: string;
  windows: string[];
  alerted: string[];
  cursorMs: number;
  held?: string;
}

/** Where the monitored time of a model reaches: the next window starts there. */
const cursorKey = (model: string) => `${MONITORING_ROOT}${model}/cursor.json`;
/** Where a model's monitoring stands: the next window starts at its cursor (undefined: the next run starts one window back from now). */
export async function monitorCursor(store: ArtifactStore, model: string): Promise<number | undefined> {
  return (await getJson<{ cursorMs: number }>(store, cursorKey(model)))?.cursorMs;
}

/** Moves a model's cursor: the next monitor run starts its windows there. */
export async function setMonitorCursor(store: ArtifactStore, model: string, cursorMs: number): Promise<void> {
  await putJson(store, cursorKey(model), { cursorMs });
}

const trackingKey = (model: string, version: number) => `${MONITORING_ROOT}${model}/tracking-v${version}.json`;
const HOUR_MS = 3_600_000;

/** A version's schema and reference, kept between runs of a process (a few versions). */
const versionCache = new Map<string, Promise<{ schema: DatasetSchema; reference: MonitorReference }>>();

function versionInfo(deps: MonitorDeps, model: string, version: number, o?: ReferenceOptions) {
  const key = `${deps.store.location}\n${model}\n${version}`;
  let info = versionCache.get(key);
  if (!info) {
    info = (async () => {
      const entry = await deps.registry.get(model, version);
      if (!entry) throw new Error(`${model} has no version ${version}`);
      const written = entry.manifest.schema ?? (await getJson<{ schema: unknown }>(deps.store, runKeys(entry.manifest.runId).spec))?.schema;
      if (!written) throw new Error(`${model} v${version} has no dataset schema`);
      const schema = parseDatasetSchema(JSON.stringify(written), `${model} v${version} schema`);
      return { schema, reference: await loadReference(deps, model, version, o) };
    })();
    info.catch(() => versionCache.delete(key));
    versionCache.set(key, info);
    while (versionCache.size > 8) versionCache.delete(versionCache.keys().next().value!);
  }
  return info;
}

/**
 * One monitor run of a model: reports every window completed since the last run (time windows of
 * `windowMs`, or count windows of `windowRows` logged predictions), one per version served in it;
 * a window with fewer than `minRows` rows waits for more, up to `maxAgeMs`. Each window is
 * encoded, reported, checked against the alert rules, alerted (log, sink), acted on (retrain),
 * tracked and stored; a window already stored is skipped, and alerts and actions happen once per
 * window (OnceMarks), so a retried run repeats nothing.
 */
export async function runMonitor(deps: MonitorDeps, model: string, s: MonitorSettings, progress?: (p: { windows: number; cursorMs: number }) => Promise<void> | void): Promise<MonitorRunResult> {
  const now = (deps.now ?? Date.now)();
  const settle = now - (s.settleMs ?? 60_000);
  let from = (await monitorCursor(deps.store, model)) ?? Math.floor((settle - s.windowMs) / s.windowMs) * s.windowMs;
  const out: MonitorRunResult = { model, windows: [], alerted: [], cursorMs: from };
  // Each version's reports so far, oldest first: the store is read once per version and run.
  const reported = new Map<number, WindowReport[]>();
  const report = async (span: TimeWindow, rows: LoggedPrediction[]) => {
    for (const w of await reportSpan(deps, model, span, rows, s, reported)) {
      out.windows.push(w.id);
      if (w.alerts.length) out.alerted.push(w.id);
    }
    from = out.cursorMs = span.toMs;
    await setMonitorCursor(deps.store, model, from);
    await progress?.({ windows: out.windows.length, cursorMs: from });
  };
  const maxWindows = s.maxWindows ?? 24;
  if (s.windowRows > 0) {
    let buffer: { ms: number; row: LoggedPrediction }[] = [];
    let readTo = from;
    for (let n = 0; n < maxWindows; n++) {
      // A window spans at most maxAgeMs (and the store's 7 days): rows past it go to the next one.
      const horizon = Math.min(settle, from + s.maxAgeMs);
      while (buffer.length <= s.windowRows && readTo < horizon) {
        const next = Math.min(horizon, readTo + HOUR_MS);
        for (const row of await readWindow(deps.store, model, { fromMs: readTo, toMs: next })) buffer.push({ ms: Date.parse(row.at), row });
        readTo = next;
      }
      buffer.sort((a, b) => a.ms - b.ms);
      let to: number;
      if (buffer.length > s.windowRows) to = Math.max(buffer[s.windowRows].ms, buffer[s.windowRows - 1].ms + 1);
      else if (buffer.length === s.windowRows && buffer.length && readTo >= settle) to = Math.max(readTo, buffer[buffer.length - 1].ms + 1);
      else if (settle - from >= s.maxAgeMs && readTo > from) to = readTo;
      else {
        out.held = `${buffer.length} rows since ${new Date(from).toISOString()}, fewer than a window's ${s.windowRows}`;
        break;
      }
      to = Math.min(to, from + s.maxAgeMs);
      const cut = lowerBound(buffer, to);
      const rows = buffer.slice(0, cut).map((b) => b.row);
      buffer = buffer.slice(cut);
      await report({ fromMs: from, toMs: to }, rows);
    }
  } else {
    const W = s.windowMs;
    for (let n = 0; n < maxWindows; n++) {
      let to = from + W;
      if (to > settle) {
        out.held = `the window from ${new Date(from).toISOString()} is not over`;
        break;
      }
      const rows = await readWindow(deps.store, model, { fromMs: from, toMs: to });
      // Too few rows: the window grows by whole windows until it holds enough or reaches the maximum age.
      while (rows.length < s.minRows && to + W <= settle && to + W - from <= Math.max(W, s.maxAgeMs)) {
        for (const r of await readWindow(deps.store, model, { fromMs: to, toMs: to + W })) rows.push(r);
        to += W;
      }
      if (rows.length < s.minRows && settle - from < s.maxAgeMs) {
        out.held = `${rows.length} rows since ${new Date(from).toISOString()}, fewer than ${s.minRows} (TM_MONITOR_MIN_ROWS)`;
        break;
      }
      await report({ fromMs: from, toMs: to }, rows);
    }
  }
  return out;
}

function lowerBound(a: { ms: number }[], ms: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid].ms < ms) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The windows of a span, one per version that served rows in it. */
async function reportSpan(deps: MonitorDeps, model: string, span: TimeWindow, rows: LoggedPrediction[], s: MonitorSettings, reported: Map<number, WindowReport[]>): Promise<MonitorWindow[]> {
  const byVersion = new Map<number, LoggedPrediction[]>();
  for (const r of rows) (byVersion.get(r.version) ?? byVersion.set(r.version, []).get(r.version)!).push(r);
  if (!byVersion.size) return [];
  const feedback = await feedbackInWindow(deps.store, span);
  const out: MonitorWindow[] = [];
  for (const [version, versionRows] of [...byVersion].sort((a, b) => a[0] - b[0])) {
    const id = windowId(span, version);
    const limits = { ...s.limits, ...s.modelLimits?.[model] };
    const previous = reported.get(version) ?? (await previousReports(deps.store, model, version, span.fromMs, (limits.consecutive ?? DEFAULT_ALERT_LIMITS.consecutive) - 1));
    reported.set(version, previous);
    const done = await getWindow(deps.store, model, id);
    if (done) {
      previous.push(done.report);
      out.push(done);
      continue;
    }
    const { schema, reference } = await versionInfo(deps, model, version, s.reference);
    const threshold = (await deps.registry.threshold(model, version))?.threshold ?? reference.threshold;
    const w = await computeWindow({ model, version, span, schema, threshold, reference, rows: versionRows, feedback, limits, previous, minRows: s.minRows, now: deps.now });
    await act(deps, w);
    await track(deps, w);
    await saveWindow(deps.store, w);
    previous.push(w.report);
    deps.log.info({ model, version, window: w.id, rows: w.report.rows, featureDriftShare: w.report.features.share, estimatedF1: w.report.estimated.f1.value, realisedF1: w.report.realised?.f1, alerts: w.alerts.map((a) => a.rule) }, 'monitor window');
    out.push(w);
  }
  return out;
}

/** The reports of a version's last `n` windows that ended by `beforeMs` (within the store's window span), oldest first. */
async function previousReports(store: ArtifactStore, model: string, version: number, beforeMs: number, n: number): Promise<WindowReport[]> {
  if (n <= 0) return [];
  const ids = (await listWindowIds(store, model, { fromMs: beforeMs - MAX_WINDOW_MS, toMs: beforeMs })).filter((id) => {
    const w = parseWindowId(id)!;
    return w.version === version && w.toMs <= beforeMs;
  });
  const windows = await Promise.all(ids.slice(-n).map((id) => getWindow(store, model, id)));
  return windows.flatMap((w) => (w ? [w.report] : []));
}

/** Alerts (log always; the sink once per window) and the retraining action (once per window). */
async function act(deps: MonitorDeps, w: MonitorWindow): Promise<void> {
  if (!w.alerts.length) return;
  const alert = windowAlert(w, (deps.now ?? Date.now)());
  deps.log.warn({ alert: alert.id, model: w.model, version: w.version, window: w.id, rules: w.alerts }, `monitor alert: ${w.alerts.map((a) => a.message).join('; ')}`);
  const sink = deps.sink;
  if (sink) await deps.marks.once(`alert:${alert.id}`, async () => (await sink.send(alert), true));
  const retrain = deps.retrain;
  if (retrain) {
    const ctx: RetrainContext = { model: w.model, version: w.version, windowId: w.id, fromMs: w.fromMs, toMs: w.toMs, rules: w.alerts };
    const action = await deps.marks.once(`retrain:${alert.id}`, () => retrain(ctx));
    if (action) {
      w.action = { kind: 'retrain', runId: action.runId, feedbackRows: action.feedbackRows };
      deps.log.info({ model: w.model, window: w.id, runId: action.runId, feedbackRows: action.feedbackRows }, 'monitor started a retraining run');
    }
  }
}

/** Per-window metrics into one tracked run per version (`monitor <model> v<N>`); tracking never fails the monitor. */
async function track(deps: MonitorDeps, w: MonitorWindow): Promise<void> {
  const tracker = deps.tracker;
  if (!tracker) return;
  try {
    const key = trackingKey(w.model, w.version);
    const known = await getJson<{ id: string; artifactUri?: string }>(deps.store, key);
    let run: TrackedRun;
    if (known) run = tracker.attach(known.id, known.artifactUri);
    else {
      run = await tracker.startRun({ runName: `monitor ${w.model} v${w.version}`, tags: { 'threatmatrix.model': w.model, 'threatmatrix.version': String(w.version), 'threatmatrix.kind': 'monitor' } });
      await putJson(deps.store, key, { id: run.id, ...(run.artifactUri ? { artifactUri: run.artifactUri } : {}) });
    }
    const r = w.report;
    const metrics: Record<string, number> = {
      monitor_rows: r.rows,
      monitor_feature_drift_share: r.features.share,
      monitor_drifted_features: r.features.driftedColumns,
      monitor_threat_share: r.prediction.threatShare,
      monitor_missing_rate: r.missingRate,
      monitor_unknown_rate: r.unknownRate,
      monitor_estimated_f1: r.estimated.f1.value,
      monitor_alerts: w.alerts.length,
    };
    if (Number.isFinite(r.prediction.score)) metrics.monitor_prediction_drift_score = r.prediction.score;
    if (r.realised) Object.assign(metrics, { monitor_realised_f1: r.realised.f1, monitor_feedback_coverage: r.realised.coverage });
    for (const [k, v] of Object.entries(metrics)) if (!Number.isFinite(v)) delete metrics[k];
    // Step: the window's end in minutes since the epoch (MLflow steps are integers).
    await run.logMetrics(metrics, Math.floor(w.toMs / 60_000));
  } catch (err) {
    deps.log.warn({ err: (err as Error).message, model: w.model, window: w.id }, 'tracking: monitor metrics failed');
  }
}
