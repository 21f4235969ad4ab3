/**
 * npm run bench:monitor [-- --size 2000] [--seed 1]
 *
 * Issue 15's acceptance through the real API: fits a gradient-boosting model on the phishing
 * training rows and one on the synthetic mixed dataset (each calibrated as a training run does),
 * registers them, starts the API in this process (`startApi`, TM_PREDICTION_SAMPLE_RATE=1, the
 * log's per-second cap lifted so every row of a window is kept), POSTs each scenario's windows to
 * /v1/predict/batch and the true labels of a share of their rows to /v1/feedback, then reads each
 * window back from the prediction log (readWindow, joinFeedback) and runs the monitor's window
 * report and alert rules on it. Prints a table per scenario and pass/fail per acceptance check;
 * exits 1 when a check fails. Scenarios: test/helpers/traffic-scenarios.ts.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { parse as parseYaml } from 'yaml';
import { startApi } from '../api/start-api.js';
import type { Dataset } from '../core/data/frame.js';
import { LocalArtifactStore } from '../core/adapters/local-artifact-store.js';
import { feedbackInWindow } from '../core/monitoring/feedback-store.js';
import type { MonitorReference } from '../core/monitoring/monitor-reference.js';
import { computeWindow } from '../core/monitoring/monitor-window.js';
import { readWindow, type TimeWindow } from '../core/monitoring/prediction-log-reader.js';
import { windowReport, type WindowReport } from '../core/monitoring/window-report.js';
import type { ArtifactStore } from '../core/ports/artifact-store.js';
import { prepareReference } from '../core/validation/drift/drift-report.js';
import { ArtifactRegistry } from '../core/registry/artifact-registry.js';
import { loadServedModel, type ServedModel } from '../core/registry/served-model.js';
import { loadConfig, type DatasetSchemaInput } from '../schema/index.js';
import { fitCalibrated, threatScores } from '../test/helpers/calibrated-fit.js';
import { judge, monitorSequence, type Verdict } from '../test/helpers/monitor-replay.js';
import { dropPrefix, REDIS_URL } from '../test/helpers/redis.js';
import { acceptanceScenarios, feedbackLabels, MIXED_SCHEMA, mixedTraining, toRecords, WINDOW_ROWS, type Scenario } from '../test/helpers/traffic-scenarios.js';
import { phishingSplit } from './lib/phishing-split.js';
import { fmt, int, table } from './lib/table.js';

const { values: args } = parseArgs({ options: { size: { type: 'string', default: String(WINDOW_ROWS) }, seed: { type: 'string', default: '1' } } });
const size = Number(args.size);
const seed = Number(args.seed);
if (!Number.isInteger(size) || size < 100 || size > 10_000) throw new Error(`--size: rows per window, 100 to 10,000 (one synchronous batch), not ${args.size}`);
if (!Number.isInteger(seed)) throw new Error(`--seed: an integer, not ${args.seed}`);

const repo = new URL('..', import.meta.url).pathname;
const dir = await mkdtemp(join(tmpdir(), 'tm-bench-monitor-'));
const prefix = `tmbenchmon${process.pid}`;
const KEY = 'bench-monitor-key';
const store = new LocalArtifactStore(join(dir, 'artifacts'));
const registry = new ArtifactRegistry(store);
const started = Date.now();

/** What the monitor compares a served version's windows with: its training rows, out-of-fold scores, test F1. */
interface Monitored {
  served: ServedModel;
  /** The monitor job's reference for the version: the train rows prepared, the out-of-fold scores sorted. */
  reference: MonitorReference;
  testF1: number;
}

/** Fits, calibrates and registers `name` as production; the monitor's reference for it. */
async function register(name: string, schema: DatasetSchemaInput, train: Dataset, test: Dataset): Promise<Monitored> {
  const fit = await fitCalibrated(train, { params: { maxIter: 100 } });
  const manifest = await registry.register(name, fit.pipeline.toJSON(), { runId: `bench-monitor-${name}`, family: 'gradient_boosting', params: { maxIter: 100 }, metrics: {}, schemaHash: 'bench-monitor', schema: schema as Record<string, unknown>, dataDigest: 'bench-monitor' });
  await registry.changeAlias(name, 'production', { action: 'auto-promote', version: manifest.version, by: 'bench:monitor', why: 'scenario model' });
  const served = (await loadServedModel(registry, store, name, manifest.version))!;
  const labels = Int8Array.from(test.labels, (y) => (y === test.positiveClass ? 1 : 0));
  const report = windowReport({ reference: train.features, referenceScores: fit.referenceScores, current: test.features, scores: threatScores(fit.pipeline, test.features), threshold: served.threshold, labels });
  process.stderr.write(`${name} v${manifest.version}: ${fit.method} calibration, test F1 ${report.realised!.f1.toFixed(4)}, threshold ${served.threshold}\n`);
  const reference: MonitorReference = {
    model: name,
    version: manifest.version,
    runId: `bench-monitor-${name}`,
    builtAt: new Date().toISOString(),
    testF1: report.realised!.f1,
    threshold: served.threshold,
    trainRows: train.features.nRows,
    features: prepareReference(train.features),
    scores: Float64Array.from(fit.referenceScores).sort(),
  };
  return { served, reference, testF1: report.realised!.f1 };
}

/** One posted window: its time span in the log. */
interface Posted {
  window: TimeWindow;
  rows: number;
  labelsSent: number;
}

/** Serves `model` through the real API and posts the scenario's windows and feedback; the windows' time spans. */
async function postScenario(model: string, scenario: Scenario): Promise<Posted[]> {
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    REDIS_URL,
    TM_ARTIFACTS: join(dir, 'artifacts'),
    TM_QUEUE_PREFIX: prefix,
    TM_MODEL_NAME: model,
    TM_API_KEYS_PREDICT: KEY,
    TM_API_KEYS_ADMIN: 'bench-monitor-admin',
    TM_PREDICTION_SAMPLE_RATE: '1',
    // The default cap (1,000 logged a second) would keep half of a 2,000-row batch: lifted so that
    // every row is logged, as the acceptance reads whole windows.
    TM_PREDICTION_LOG_MAX_PER_SECOND: '10000000',
    LOG_LEVEL: 'warn',
  });
  const api = await startApi(config, pino({ level: 'warn' }));
  const headers = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
  const posted: Posted[] = [];
  try {
    for (const [i, w] of [...scenario.calm, ...scenario.shifted].entries()) {
      const fromMs = Date.now();
      const res = await fetch(`${api.url}/v1/predict/batch`, { method: 'POST', headers, body: JSON.stringify({ rows: toRecords(w.features) }) });
      if (!res.ok) throw new Error(`predict/batch: ${res.status} ${await res.text()}`);
      const { predictions } = (await res.json()) as { predictions: { predictionId: string }[] };
      // Windows must not share a millisecond: the next starts after this one's last prediction.
      await new Promise((r) => setTimeout(r, 5));
      const toMs = Date.now();
      const labels = feedbackLabels(w, scenario.feedback, 31 + i);
      const feedback = predictions.flatMap((p, row) => (labels[row] < 0 ? [] : [{ predictionId: p.predictionId, label: w.classes[w.labels[row]] }]));
      if (feedback.length) {
        const fb = await fetch(`${api.url}/v1/feedback`, { method: 'POST', headers, body: JSON.stringify(feedback) });
        if (!fb.ok) throw new Error(`feedback: ${fb.status} ${await fb.text()}`);
      }
      posted.push({ window: { fromMs, toMs }, rows: predictions.length, labelsSent: feedback.length });
    }
  } finally {
    await api.close(); // flushes the prediction log
  }
  return posted;
}

/**
 * The window report of one logged window, as the monitor job computes it (`computeWindow`): its
 * rows read back from the prediction log, encoded by the version's schema, scored as served (threat
 * classes' logged probabilities) and joined with the feedback sent for them.
 */
async function monitorLoggedWindow(store: ArtifactStore, m: Monitored, window: TimeWindow): Promise<WindowReport> {
  const { served } = m;
  const rows = (await readWindow(store, served.name, window)).filter((r) => r.version === served.version);
  const feedback = await feedbackInWindow(store, window);
  const w = await computeWindow({ model: served.name, version: served.version, span: window, schema: served.schema, threshold: served.threshold, reference: m.reference, rows, feedback });
  return w.report;
}

const phishingSchema = parseYaml(await readFile(join(repo, 'schema/phishing.yaml'), 'utf8')) as DatasetSchemaInput;
const { train, test } = await phishingSplit();
const models = {
  phishing: await register('phishing', phishingSchema, train, test),
  mixed: await register('flows', MIXED_SCHEMA, mixedTraining(), mixedTraining(8)),
};

const verdicts: Verdict[] = [];
try {
  for (const scenario of acceptanceScenarios(test, { size, seed })) {
    const m = models[scenario.model];
    const t0 = Date.now();
    const posted = await postScenario(m.served.name, scenario);
    const tPosted = Date.now();
    const reports = [];
    for (const p of posted) reports.push({ scenario: scenario.name, report: await monitorLoggedWindow(store, m, p.window) });
    const tRead = Date.now();
    const monitored = monitorSequence(reports, m.testF1);
    console.log(`\n${scenario.name} (${m.served.name} v${m.served.version}, test F1 ${fmt(m.testF1)}): ${scenario.calm.length} calm windows, then ${scenario.shifted.length} ${scenario.kind === 'unshifted' ? 'unshifted' : 'shifted'}; posted in ${((tPosted - t0) / 1000).toFixed(1)} s, monitored from the log in ${((tRead - tPosted) / 1000).toFixed(1)} s`);
    console.log(
      table(
        ['window', 'logged', 'labelled', 'drifted features', 'score drift', 'threat share', 'est F1 ± se', 'real F1', 'est - real', 'alerts'],
        monitored.map((w, i) => {
          const r = w.report;
          const drifted = r.features.columns.filter((c) => c.drifted).map((c) => c.column);
          return [
            i < scenario.calm.length ? `calm ${i + 1}` : `${scenario.kind === 'unshifted' ? '' : 'shifted '}${i - scenario.calm.length + 1}`,
            int(r.rows),
            int(r.realised?.labelled ?? 0),
            drifted.length > 3 ? `${drifted.length} of ${r.features.columns.length}` : drifted.join(' ') || '-',
            `${r.prediction.test} ${fmt(r.prediction.score, 3)}`,
            fmt(r.prediction.threatShare, 3),
            `${fmt(w.estimatedF1)} ± ${fmt(r.estimated.f1.se)}`,
            fmt(w.realisedF1),
            fmt(w.estimatedF1 - w.realisedF1),
            w.rules.join(' ') || '-',
          ];
        }),
      ),
    );
    const expectRows = posted.every((p, i) => p.rows === monitored[i].report.rows);
    verdicts.push({ scenario: scenario.name, check: 'every posted row logged and read back', measured: expectRows ? 'yes' : 'no', pass: expectRows });
    for (const v of judge(scenario.kind, monitored.slice(scenario.calm.length))) verdicts.push(v);
  }
} finally {
  const redis = new Redis(REDIS_URL);
  await dropPrefix(redis, prefix);
  redis.disconnect();
  await rm(dir, { recursive: true, force: true });
}

console.log(`\nbench:monitor, ${size}-row windows, seed ${seed}, ${((Date.now() - started) / 1000).toFixed(0)} s in all; issue 15's acceptance:`);
console.log(table(['scenario', 'check', 'measured', 'pass'], verdicts.map((v) => [v.scenario, v.check, v.measured, v.pass ? 'yes' : 'NO'])));
if (verdicts.some((v) => !v.pass)) process.exitCode = 1;
