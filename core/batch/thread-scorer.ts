import type { Worker } from 'node:worker_threads';
import type { Frame } from '../data/frame.js';
import { packFrame } from '../data/packed-frame.js';
import { DataError, PermanentError } from '../errors.js';
import type { ArtifactStore } from '../ports/artifact-store.js';
import { sibling, startWorker } from '../runtime/worker-thread.js';
import type { ScoreChunkOptions } from './score-chunk.js';
import type { ExplainJob, ModelRef, ScoringReply, ScoringRequest, ScoringResult, ThrownError } from './scoring-messages.js';

export interface ThreadScorerOptions {
  /** The artifact store whose registry (models/<name>/v<N>/) the threads load versions from. */
  store: ArtifactStore;
  /** Scoring threads (jobs run one at a time on each; a call goes to the least busy). Default 1. */
  threads?: number;
  /** Model versions each thread keeps loaded (the least recently used goes first). Default 2. */
  keepModels?: number;
}

/** A scoring request before its reply id is added. */
type Job = Omit<Extract<ScoringRequest, { type: 'chunk' }>, 'seq'> | Omit<Extract<ScoringRequest, { type: 'proba' }>, 'seq'> | Omit<Extract<ScoringRequest, { type: 'explain' }>, 'seq'>;

/** Only the name and version cross (a ServedModel passed as a ref would be cloned whole). */
const refOf = (m: ModelRef): ModelRef => ({ name: m.name, version: m.version, threshold: m.threshold });

/** The error a thread threw, as the main thread would have seen it (DataError keeps its rule and line). */
function rebuilt(e: ThrownError): Error {
  if (e.name === 'DataError') return new DataError(e.message, e.rule ?? 'data', e.column, e.line);
  const err = e.name === 'PermanentError' ? new PermanentError(e.message) : new Error(e.message);
  err.name = e.name;
  return err;
}

/** One scoring thread, started on first use and again after it died. */
class Slot {
  private worker?: Worker;
  private readonly pending = new Map<number, { resolve(r: ScoringResult): void; reject(e: Error): void; onProgress?: (fraction: number) => void }>();
  private seq = 0;

  constructor(
    private readonly store: ArtifactStore,
    private readonly keepModels: number,
  ) {}

  get busy(): number {
    return this.pending.size;
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const w = startWorker(sibling(import.meta, 'scoring-thread'), { workerData: { keepModels: this.keepModels } });
    w.on('message', (m: ScoringReply) => {
      if (m.type === 'read') return void this.read(w, m.seq, m.key);
      if (m.type === 'progress') return void this.pending.get(m.seq)?.onProgress?.(m.fraction);
      const p = this.pending.get(m.seq);
      this.pending.delete(m.seq);
      if (m.ok) p?.resolve(m.result);
      else p?.reject(rebuilt(m.error));
    });
    w.on('error', (err) => this.fail(w, `scoring thread died: ${err.message}`));
    w.on('exit', (code) => this.fail(w, `scoring thread died: exit code ${code}`));
    // Idle threads never keep the process alive; work in flight is awaited by its callers.
    w.unref();
    this.worker = w;
    return w;
  }

  /** Reads an object for the thread: only I/O and a buffer move happen here, never parsing. */
  private async read(w: Worker, seq: number, key: string): Promise<void> {
    try {
      const got = await this.store.get(key);
      const bytes = got?.slice(); // a buffer of its own, moved rather than cloned
      w.postMessage({ type: 'read', seq, bytes } satisfies ScoringRequest, bytes ? [bytes.buffer] : []);
    } catch (err) {
      w.postMessage({ type: 'read', seq, error: (err as Error).message } satisfies ScoringRequest);
    }
  }

  /** Drops thread `w` (if still current), failing what it held. */
  private fail(w: Worker, why: string): void {
    if (this.worker !== w) return;
    this.worker = undefined;
    for (const p of this.pending.values()) p.reject(new Error(why));
    this.pending.clear();
  }

  run(job: Job, transfer: ArrayBuffer[] = [], onProgress?: (fraction: number) => void): Promise<ScoringResult> {
    const w = this.thread();
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { resolve, reject, onProgress });
      w.postMessage({ ...job, seq } as ScoringRequest, transfer);
    });
  }

  async close(): Promise<void> {
    const w = this.worker;
    if (!w) return;
    this.fail(w, 'scoring thread closed');
    await w.terminate();
  }
}

/**
 * Scores on worker threads instead of the calling thread: async batch chunks (parse, check and
 * score a CSV chunk) and frames of big synchronous requests. Each thread loads the model versions
 * it is asked for from the registry in `store` itself (the main thread only reads bytes for it),
 * so the calling event loop stays free: BullMQ keeps renewing job locks and the API keeps
 * answering while a slow model (KNN, MLP) loads or scores.
 */
export class ThreadScorer {
  private readonly slots: Slot[];
  /** Explain calls of this turn, not yet sent. */
  private explains: { job: ExplainJob; resolve(r: { proba: Float64Array; explanations: string[] }): void; reject(e: Error): void }[] = [];

  constructor(o: ThreadScorerOptions) {
    this.slots = Array.from({ length: Math.max(1, o.threads ?? 1) }, () => new Slot(o.store, o.keepModels ?? 2));
  }

  private slot(): Slot {
    return this.slots.reduce((a, b) => (b.busy < a.busy ? b : a));
  }

  /**
   * `scoreCsvChunk` with version `model` on a thread, its CSV as UTF-8 bytes; `ms` is the thread's
   * scoring time. `options.onProgress` stays here: the thread reports an explained chunk's progress to it.
   */
  async scoreChunk(model: ModelRef, header: string[], bytes: Uint8Array, firstRow: number, maxErrors = 20, options: ScoreChunkOptions = {}): Promise<Extract<ScoringResult, { type: 'chunk' }>> {
    const copy = bytes.slice(); // the thread gets its own buffer, moved rather than cloned
    const { onProgress, ...sent } = options;
    const r = await this.slot().run({ type: 'chunk', model: refOf(model), header, bytes: copy, firstRow, maxErrors, options: sent }, [copy.buffer], onProgress);
    if (r.type !== 'chunk') throw new Error('scoring thread answered a chunk with probabilities');
    return r;
  }

  /** `pipeline.predictProba` of version `model` on a thread; `ms` is the thread's scoring time. */
  async predictProba(model: ModelRef, frame: Frame): Promise<{ proba: Float64Array; ms: number }> {
    const r = await this.slot().run({ type: 'proba', model: refOf(model), frame });
    if (r.type !== 'proba') throw new Error('scoring thread answered probabilities with a chunk');
    return r;
  }

  /**
   * Probabilities and each row's explanation (its `top` largest contributions, as JSON text) by
   * version `model` on a thread. The frame must be laid out by the version's schema (as
   * RecordEncoder lays records out): it crosses packed in one buffer, its names and categories
   * taken from the schema there. Calls made in one turn of the event loop go in one message at
   * its end (setImmediate, no timer) and come back in one: under load, one thread wake-up and one
   * reply per turn instead of per request.
   */
  explain(model: ModelRef, frame: Frame, top: number): Promise<{ proba: Float64Array; explanations: string[] }> {
    return new Promise((resolve, reject) => {
      if (this.explains.push({ job: { model: refOf(model), frame: packFrame(frame), top }, resolve, reject }) === 1) setImmediate(() => this.sendExplains());
    });
  }

  private sendExplains(): void {
    const calls = this.explains;
    this.explains = [];
    const jobs = calls.map((c) => c.job);
    this.slot()
      .run({ type: 'explain', jobs }, jobs.map((j) => j.frame.data.buffer as ArrayBuffer))
      .then((r) => {
        if (r.type !== 'explain') throw new Error('scoring thread answered an explanation with something else');
        r.outcomes.forEach((o, k) => (o.ok ? calls[k].resolve({ proba: o.proba, explanations: o.explanations }) : calls[k].reject(rebuilt(o.error))));
      })
      .catch((err: Error) => calls.forEach((c) => c.reject(err)));
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.close()));
  }
}
