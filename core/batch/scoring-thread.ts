/**
 * Scoring thread: loads registered models itself (reading the artifact store through the main
 * thread, which only moves bytes) and scores CSV chunks or frames with them, so that neither model
 * loading nor long scoring (KNN, MLP, big chunks) holds the main thread's event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ArtifactStore } from '../ports/artifact-store.js';
import { ArtifactRegistry } from '../registry/artifact-registry.js';
import { loadServedModel, type ServedModel } from '../registry/served-model.js';
import { PermanentError } from '../errors.js';
import type { Frame } from '../data/frame.js';
import type { Matrix } from '../data/matrix.js';
import { unpackFrame } from '../data/packed-frame.js';
import { explanationTexts, frameColumnsOf } from '../explain/explanation.js';
import { PipelineExplainer, type ExplainedRows } from '../explain/explainer.js';
import { scoreCsvChunk } from './score-chunk.js';
import type { ExplainJob, ExplainOutcome, ModelRef, ScoringReply, ScoringRequest, ScoringResult, ThrownError } from './scoring-messages.js';

const { keepModels } = workerData as { keepModels: number };
const reads = new Map<number, { resolve(b: Uint8Array | undefined): void; reject(e: Error): void }>();
let readSeq = 0;
const send = (m: ScoringReply, transfer: ArrayBuffer[] = []) => parentPort!.postMessage(m, transfer);

/** The main thread's artifact store, read-only: all a registry needs to load a version. */
const store: ArtifactStore = {
  location: 'main thread',
  get: (key) =>
    new Promise((resolve, reject) => {
      const seq = ++readSeq;
      reads.set(seq, { resolve, reject });
      send({ type: 'read', seq, key });
    }),
  exists: async (key) => (await store.get(key)) !== undefined,
  put: () => Promise.reject(new Error('scoring threads do not write')),
  list: () => Promise.reject(new Error('scoring threads do not list')),
  delete: () => Promise.reject(new Error('scoring threads do not delete')),
};
const registry = new ArtifactRegistry(store);

/** Loaded versions, the least recently used first. */
const models = new Map<string, Promise<ServedModel>>();

function model(ref: ModelRef): Promise<ServedModel> {
  const key = `${ref.name}@${ref.version}`;
  let m = models.get(key);
  if (m) models.delete(key);
  m ??= loadServedModel(registry, store, ref.name, ref.version).then((found) => {
    if (!found) throw new PermanentError(`model ${ref.name} v${ref.version} is not in the registry`);
    return found;
  });
  models.set(key, m);
  m.catch(() => models.get(key) === m && models.delete(key));
  while (models.size > keepModels) models.delete(models.keys().next().value!);
  return m;
}

async function run(m: Exclude<ScoringRequest, { type: 'read' }>): Promise<ScoringResult> {
  if (m.type === 'explain') {
    const t0 = performance.now();
    const outcomes = await Promise.all(m.jobs.map((job) => explainJob(job).then((r): ExplainOutcome => ({ ok: true, ...r }), (err: unknown): ExplainOutcome => ({ ok: false, error: thrown(err) }))));
    return { type: 'explain', outcomes, ms: performance.now() - t0 };
  }
  const served = await model(m.model);
  const t0 = performance.now();
  if (m.type === 'chunk') {
    const model = m.model.threshold === undefined ? served : { ...served, threshold: m.model.threshold };
    const onProgress = (fraction: number) => send({ type: 'progress', seq: m.seq, fraction });
    const { csv, ...counts } = scoreCsvChunk(model, m.header, m.bytes, m.firstRow, m.maxErrors, { ...m.options, onProgress });
    const bytes = new TextEncoder().encode(csv);
    return { type: 'chunk', chunk: { ...counts, bytes }, ms: performance.now() - t0 };
  }
  const out = served.pipeline.predictProba(m.frame);
  const ms = performance.now() - t0;
  // Sent by transfer: a view on a shared or bigger buffer is copied into its own first.
  const own = out.buffer instanceof ArrayBuffer && out.byteOffset === 0 && out.byteLength === out.buffer.byteLength;
  return { type: 'proba', proba: own ? out : out.slice(), ms };
}

/** One explain job: probabilities, then the explanation of its rows (with the other jobs of this turn), as the API's JSON text. */
async function explainJob(job: ExplainJob): Promise<{ proba: Float64Array; explanations: string[] }> {
  const served = await model(job.model);
  const frame = unpackFrame(job.frame, served.schema);
  // Preprocessed once: the probabilities and the explanation read the same model matrix.
  const X = served.pipeline.preprocessor.transform(frame);
  // Its own copy: the model's output may be a view on a buffer the next scoring reuses before the explanation runs.
  const proba = served.pipeline.probaOf(X).slice();
  const explained = await explainSoon(served, X, proba);
  const cols = framesColumns(served, frame, explained.features);
  return { proba, explanations: explanationTexts(explained, frame, cols, served.pipeline.classes, job.top) };
}

/** Per served model: the frame column of each explained feature (every frame it explains is laid out by its schema). */
const frameColumns = new WeakMap<ServedModel, Int32Array>();

function framesColumns(served: ServedModel, frame: Frame, features: string[]): Int32Array {
  let cols = frameColumns.get(served);
  if (!cols) frameColumns.set(served, (cols = frameColumnsOf(frame, features)));
  return cols;
}

/** Explanations asked while the thread was busy, explained together at the next turn of its event loop. */
const waiting: { served: ServedModel; X: Matrix; proba: Float64Array; resolve(e: ExplainedRows): void; reject(err: unknown): void }[] = [];

/**
 * Explains a frame with the others that arrive before this turn of the event loop ends: under
 * load, the single-row requests queued behind an explanation are explained as one block of rows
 * (a tree's tables read once for all of them), per model version.
 */
function explainSoon(served: ServedModel, X: Matrix, proba: Float64Array): Promise<ExplainedRows> {
  return new Promise((resolve, reject) => {
    if (waiting.push({ served, X, proba, resolve, reject }) === 1) setImmediate(explainWaiting);
  });
}

function explainWaiting(): void {
  const jobs = waiting.splice(0);
  for (const served of new Set(jobs.map((j) => j.served))) {
    const mine = jobs.filter((j) => j.served === served);
    try {
      const explained = PipelineExplainer.for(served.pipeline).explainEachMatrix(
        mine.map((j) => j.X),
        mine.map((j) => j.proba),
      );
      mine.forEach((j, k) => j.resolve(explained[k]));
    } catch (err) {
      for (const j of mine) j.reject(err);
    }
  }
}

/** The buffers a result moves instead of copying. */
function transferOf(r: ScoringResult): ArrayBuffer[] {
  if (r.type === 'chunk') return [r.chunk.bytes.buffer as ArrayBuffer];
  if (r.type === 'proba') return [r.proba.buffer as ArrayBuffer];
  return r.outcomes.flatMap((o) => (o.ok ? [o.proba.buffer as ArrayBuffer] : []));
}

const thrown = (err: unknown): ThrownError => {
  const e = err as Error & { rule?: string; column?: string; line?: number };
  return { name: e?.name ?? 'Error', message: e?.message ?? String(err), rule: e?.rule, column: e?.column, line: e?.line };
};

parentPort!.on('message', (m: ScoringRequest) => {
  if (m.type === 'read') {
    const r = reads.get(m.seq);
    reads.delete(m.seq);
    if (m.error !== undefined) r?.reject(new Error(m.error));
    else r?.resolve(m.bytes);
    return;
  }
  run(m).then(
    (result) => send({ type: 'done', seq: m.seq, ok: true, result }, transferOf(result)),
    (err: unknown) => send({ type: 'done', seq: m.seq, ok: false, error: thrown(err) }),
  );
});
