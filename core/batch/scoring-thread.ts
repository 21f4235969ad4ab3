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
import { PipelineExplainer, type ExplainedRows } from '../explain/explainer.js';
import { scoreCsvChunk } from './score-chunk.js';
import type { ModelRef, ScoringReply, ScoringRequest, ScoringResult, ThrownError } from './scoring-messages.js';

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
  if (m.type === 'explain') {
    // Its own copy: `out` may be a view on a buffer the next scoring reuses before the explanation runs.
    const proba = out.slice();
    const explained = await explainSoon(served, m.frame, proba);
    return { type: 'explain', proba, explained, ms: performance.now() - t0 };
  }
  const ms = performance.now() - t0;
  // Sent by transfer: a view on a shared or bigger buffer is copied into its own first.
  const own = out.buffer instanceof ArrayBuffer && out.byteOffset === 0 && out.byteLength === out.buffer.byteLength;
  return { type: 'proba', proba: own ? out : out.slice(), ms };
}

/** Explanations asked while the thread was busy, explained together at the next turn of its event loop. */
const waiting: { served: ServedModel; frame: Frame; proba: Float64Array; resolve(e: ExplainedRows): void; reject(err: unknown): void }[] = [];

/**
 * Explains a frame with the others that arrive before this turn of the event loop ends: under
 * load, the single-row requests queued behind an explanation are explained as one block of rows
 * (a tree's tables read once for all of them), per model version.
 */
function explainSoon(served: ServedModel, frame: Frame, proba: Float64Array): Promise<ExplainedRows> {
  return new Promise((resolve, reject) => {
    if (waiting.push({ served, frame, proba, resolve, reject }) === 1) setImmediate(explainWaiting);
  });
}

function explainWaiting(): void {
  const jobs = waiting.splice(0);
  for (const served of new Set(jobs.map((j) => j.served))) {
    const mine = jobs.filter((j) => j.served === served);
    try {
      const explained = PipelineExplainer.for(served.pipeline).explainEach(
        mine.map((j) => j.frame),
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
  const e = r.explained;
  return [r.proba.buffer, e.base.buffer, e.phi.buffer, e.classOf.buffer] as ArrayBuffer[];
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
