import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Job, Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../api/app.js';
import { ModelHolder } from '../api/serving/model-holder.js';
import { ArtifactTracker } from '../core/adapters/artifact-tracker.js';
import { CsvFileSource } from '../core/adapters/csv-file-source.js';
import { LocalArtifactStore } from '../core/adapters/local-artifact-store.js';
import { decodeDataset } from '../core/artifacts/dataset-codec.js';
import { getJson } from '../core/artifacts/json.js';
import { threatIndices, threatScores } from '../core/calibration/threat-score.js';
import { readCsv } from '../core/data/csv-reader.js';
import type { Dataset } from '../core/data/frame.js';
import { Rng } from '../core/data/rng.js';
import { Pipeline } from '../core/models/pipeline.js';
import { firedRules } from '../core/monitoring/alert-rules.js';
import { storeFeedback } from '../core/monitoring/feedback-store.js';
import { idAt, newIdRange } from '../core/monitoring/prediction-id.js';
import { logParts, type LoggedPrediction } from '../core/monitoring/prediction-log-format.js';
import { windowId } from '../core/monitoring/window-store.js';
import { windowReport } from '../core/monitoring/window-report.js';
import { runKeys } from '../core/pipeline/run-keys.js';
import type { StageDeps } from '../core/pipeline/stage-deps.js';
import { ArtifactRegistry } from '../core/registry/artifact-registry.js';
import { parseDatasetSchema } from '../schema/index.js';
import type { RegisterResult, RunSpec } from '../schema/jobs.js';
import { feedbackDatasetKey, NotEnoughFeedbackError, retrainWithFeedback, type FeedbackRetrainDeps, type RetrainContext } from '../workers/feedback-retrain.js';
import { RunProducer } from '../workers/flow.js';
import { QUEUE_OF, redisConnection } from '../workers/queues.js';
import type { RetrainTemplate } from '../workers/retrain.js';
import { stageJobId } from '../workers/run-jobs.js';
import { startStageWorkers, type StageWorkers } from '../workers/stage-workers.js';
import { repoPath } from './helpers/datasets.js';
import { dropPrefix, REDIS_URL, testPrefix } from './helpers/redis.js';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;

/**
 * The phishing set split once: 8,845 rows are the configured source production learns from, the
 * other 2,210 are served traffic in two windows of 1,105. The concept shift flips the label of
 * every row with SSLfinal_State = 0 (about 10 % of traffic, nearly all phishing before).
 */
describe('retraining on feedback when a window alerts (real Redis, real workers)', () => {
  const prefix = testPrefix('fb-retrain');
  let dir: string;
  let conn: Redis;
  let workers: StageWorkers;
  let producer: RunProducer;
  let events: QueueEvents;
  let eventsConn: Redis;
  let register: Queue;
  let store: LocalArtifactStore;
  let registry: ArtifactRegistry;
  let deps: FeedbackRetrainDeps;
  let header: string;
  let traffic: string[];
  let schemaText: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-fb-retrain-'));
    const lines = (await readFile(repoPath('data/phishing.csv'), 'utf8')).trim().split('\n');
    header = lines[0];
    const order = new Rng(5).shuffle(Int32Array.from({ length: lines.length - 1 }, (_, i) => i + 1));
    traffic = Array.from(order.subarray(0, 2210), (i) => lines[i]);
    await writeFile(join(dir, 'source.csv'), `${[header, ...Array.from(order.subarray(2210), (i) => lines[i])].join('\n')}\n`);
    schemaText = await readFile(repoPath('schema/phishing.yaml'), 'utf8');
    store = new LocalArtifactStore(join(dir, 'artifacts'));
    registry = new ArtifactRegistry(store);
    conn = redisConnection(REDIS_URL, 'worker');
    // The configured rule; fewer rows to compare than the default 100, as each test split holds ~220.
    const stageDeps: StageDeps = { store, registry, tracker: new ArtifactTracker(store), source: (s) => new CsvFileSource(s.kind === 'csv' ? s.path : ''), promotion: { metric: 'f1', minDelta: 0, confidence: 0.95, minRows: 50 } };
    workers = startStageWorkers({ connection: conn, prefix, deps: stageDeps });
    producer = new RunProducer(conn, prefix);
    eventsConn = redisConnection(REDIS_URL, 'worker');
    events = new QueueEvents(QUEUE_OF.register, { connection: eventsConn, prefix });
    register = new Queue(QUEUE_OF.register, { connection: conn, prefix });
    await events.waitUntilReady();
    const template: RetrainTemplate = { modelName: 'phishing', source: { kind: 'csv', path: join(dir, 'source.csv') }, schema: parseYaml(schemaText) as Record<string, unknown>, families: ['random_forest'], timeBudgetSeconds: 30 };
    deps = { store, producer, template, feedbackDays: 1, share: 0.5, minRows: 250 };
  });

  afterAll(async () => {
    await workers?.close(5_000);
    await producer?.close();
    await register?.close();
    await events?.close();
    eventsConn?.disconnect();
    await dropPrefix(conn, prefix);
    conn?.disconnect();
    await rm(dir, { recursive: true, force: true });
  });

  const finished = async (runId: string): Promise<RegisterResult> => {
    const job = await Job.fromId(register, stageJobId(runId, 'register'));
    expect(job, `register job of ${runId}`).toBeDefined();
    return (await job!.waitUntilFinished(events, 60_000)) as RegisterResult;
  };

  const flip = (line: string) => {
    const cells = line.split(',');
    const ssl = header.split(',').findIndex((c) => c.includes('SSLfinal_State'));
    if (cells[ssl] === '0') cells[cells.length - 1] = cells[cells.length - 1] === '1' ? '-1' : '1';
    return cells.join(',');
  };

  /**
   * Serves `rows` (CSV lines with their true labels) at `atMs` with production: logs every
   * prediction as the API does, sends every true label back, and returns the window the monitor
   * would judge, with the alert rules its report breaks.
   */
  async function serve(rows: string[], atMs: number): Promise<RetrainContext> {
    const production = (await registry.get('phishing', 'production'))!;
    const model = await Pipeline.fromJSON(production.model);
    const schema = parseDatasetSchema(schemaText);
    const { dataset } = await readCsv(Readable.from([`${[header, ...rows].join('\n')}\n`]), schema);
    const proba = model.predictProba(dataset.features);
    const K = dataset.classes.length;
    const threat = threatIndices(dataset.classes, schema.label.threat);
    const scores = threatScores(proba, K, threat);
    const threshold = production.manifest.operatingPoint!.threshold;
    const names = header.split(',').map((c) => c.replace(/"/g, ''));
    const range = newIdRange(atMs);
    const logged: LoggedPrediction[] = rows.map((line, i) => {
      const cells = line.split(',').map(Number);
      const features = Object.fromEntries(names.slice(0, -1).map((n, j) => [n, cells[j]]));
      const probabilities = Object.fromEntries(dataset.classes.map((c, k) => [c, proba[i * K + k]]));
      return { id: idAt(range, i), at: new Date(atMs).toISOString(), model: 'phishing', version: production.manifest.version, source: 'batch', features, label: scores[i] >= threshold ? '-1' : '1', threat: scores[i] >= threshold, probabilities };
    });
    for (const part of logParts(logged, `test-${atMs}`)) await store.put(part.key, part.body);
    await storeFeedback(store, logged.map((p, i) => ({ predictionId: p.id, label: dataset.classes[dataset.labels[i]] })), atMs + MIN);
    // The window's report as the monitor makes it: production's train split and test scores are the reference.
    const run = production.manifest.runId;
    const reference = decodeDataset((await store.get(runKeys(run).train))!);
    const test: Dataset = decodeDataset((await store.get(runKeys(run).test))!);
    const referenceScores = threatScores(model.predictProba(test.features), K, threat);
    const labels = Int8Array.from(dataset.labels, (y) => (threat.includes(y) ? 1 : 0));
    const report = windowReport({ reference: reference.features, referenceScores, current: dataset.features, scores, threshold, labels });
    const w = { fromMs: atMs, toMs: atMs + 5 * MIN };
    return { model: 'phishing', version: production.manifest.version, windowId: windowId(w, production.manifest.version), ...w, rules: firedRules(report, production.manifest.metrics.f1) };
  }

  it('trains production on the configured source', async () => {
    await producer.enqueue({ ...deps.template, runId: 'fb-first' } as RunSpec);
    expect(await finished('fb-first')).toMatchObject({ version: 1, promoted: true });
  }, 90_000);

  it('keeps as a candidate a feedback run of traffic whose concept did not change', async () => {
    const ctx = await serve(traffic.slice(0, 1105), Date.now() - 3 * DAY);
    expect(ctx.rules.map((r) => r.rule)).not.toContain('realisedF1');
    const { runId, feedbackRows } = await retrainWithFeedback(deps, ctx);
    expect(feedbackRows).toBe(1105);
    const result = await finished(runId);
    expect(result).toMatchObject({ version: 2, promoted: false });
    expect(result.reason).toMatch(/^f1 .+ on \d+ of \d+ test rows outside v1's training rows; .+kept as a candidate$/);
    expect(await registry.alias('phishing', 'production')).toBe(1);
  }, 90_000);

  it('retrains on the source plus the shifted feedback when realised F1 drops, and promotes the version that wins', async () => {
    const ctx = await serve(traffic.slice(1105).map(flip), Date.now() - 10 * MIN);
    const realised = ctx.rules.find((r) => r.rule === 'realisedF1');
    expect(realised, JSON.stringify(ctx.rules)).toBeDefined();
    const started = await retrainWithFeedback(deps, ctx);
    // Only this window's feedback: the unshifted labels of three days ago are older than feedbackDays.
    expect(started).toEqual({ runId: expect.stringMatching(/^feedback-\d{13}-\d{13}-v1-phishing$/), feedbackRows: 1105 });
    // A retried call starts nothing twice.
    expect(await retrainWithFeedback(deps, ctx)).toEqual(started);
    const result = await finished(started.runId);
    expect(result, result.reason).toMatchObject({ version: 3, promoted: true });
    expect(result.reason).toMatch(/^f1 \+.+ vs production v1 .+; rule: lower bound > 0 and difference >= minDelta 0: promoted$/);
    expect(await registry.alias('phishing', 'production')).toBe(3);
    const registered = (await register.getJobs(['completed', 'failed', 'active', 'waiting', 'waiting-children', 'delayed'])).map((j) => j.id).sort();
    // Three runs in all (the first, the unshifted window's, this one): the retried call added none.
    expect(registered).toHaveLength(3);
    expect(registered).toContain(stageJobId(started.runId, 'register'));

    // Lineage: both sources, in the manifest, the stored run spec and the tracked run.
    const manifest = (await registry.get('phishing', 3))!.manifest;
    const key = feedbackDatasetKey('phishing', started.runId);
    expect(manifest.feedback).toMatchObject({ key, rows: 1105, window: { windowId: ctx.windowId, version: 1 } });
    expect(manifest.feedback!.testRows).toBeGreaterThan(180);
    expect(manifest.feedback!.superseded).toBeGreaterThan(0);
    const spec = (await getJson<RunSpec>(store, runKeys(started.runId).spec))!;
    expect(spec.source).toEqual(deps.template.source);
    expect(spec.feedback).toMatchObject({ key, rows: 1105 });
    const csv = Buffer.from((await store.get(key))!).toString('utf8');
    expect(csv.slice(0, csv.indexOf('\n'))).toBe(header.replace(/"/g, ''));
    const pointer = (await getJson<{ id: string }>(store, runKeys(started.runId).tracking))!;
    const tracked = (await getJson<{ tags: Record<string, string>; params: Record<string, string> }>(store, `tracking/${pointer.id}.json`))!;
    expect(tracked.tags).toMatchObject({ 'threatmatrix.feedback': key, 'threatmatrix.feedbackRows': '1105', 'threatmatrix.feedbackWindow': ctx.windowId });
    expect(tracked.params.feedback).toBe(key);
    const app = buildApp({ models: new ModelHolder('phishing', registry, store), registry, redisOk: async () => true, keys: { predict: ['p-key'], admin: ['a-key'] } });
    const detail = (await (await app.request('/v1/models/3', { headers: { authorization: 'Bearer a-key' } })).json()) as { lineage: { feedback: unknown } };
    expect(detail.lineage.feedback).toEqual(manifest.feedback);
  }, 90_000);

  it('starts no run when a window has too few labelled rows to judge a candidate', async () => {
    const ctx = await serve(traffic.slice(0, 100), Date.now() - 2 * MIN);
    await expect(retrainWithFeedback({ ...deps, feedbackDays: 10 / 24 / 60 }, ctx)).rejects.toThrow(NotEnoughFeedbackError);
    await expect(retrainWithFeedback({ ...deps, feedbackDays: 10 / 24 / 60 }, ctx)).rejects.toThrow(/100 usable labelled predictions .+ at least 250/);
  }, 60_000);
});
