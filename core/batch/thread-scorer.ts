import type { Worker } from 'node:worker_threads';
import type { Frame } from '../data/frame.js';
import { DataError } from '../errors.js';
import type { ServedModel } from '../registry/served-model.js';
import { sibling, startWorker } from '../runtime/worker-thread.js';
import type { ScoredChunk } from './score-chunk.js';
import type { ScoringReply, ScoringRequest, ScoringResult, ThrownError } from './scoring-messages.js';

export interface ThreadScorerOptions {
  /** Scoring threads (jobs run one at a time on each; a call goes to the least busy). Default 1. */
  threads?: number;
  /** Models each thread keeps loaded (the oldest sent is dropped first). Default 2. */
  keepModels?: number;
}

/** A scoring request before its reply id and model id are added. */
type Job = Omit<Extract<ScoringRequest, { type: 'chunk' }>, 'seq' | 'model'> | Omit<Extract<ScoringRequest, { type: 'proba' }>, 'seq' | 'model'>;

/** One scoring thread, started on first use and again after it died. */
class Slot {
  private worker?: Worker;
  private readonly pending = new Map<number, { resolve(r: ScoringResult): void; reject(e: Error): void }>();
  /** Models the thread holds: model object -> id, in the order sent. */
  private readonly loaded = new Map<ServedModel, number>();
  private seq = 0;
  private static ids = 0;

  constructor(private readonly keepModels: number) {}

  get busy(): number {
    return this.pending.size;
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const w = startWorker(sibling(import.meta, 'scoring-thread'));
    w.on('message', (r: ScoringReply) => {
      const p = this.pending.get(r.seq);
      this.pending.delete(r.seq);
      if (r.ok) p?.resolve(r.result);
      else p?.reject(rebuilt(r.error));
    });
    // A thread that dies (out of memory, a crash in native code) fails what it held; the next call starts another.
    w.on('error', (err) => this.fail(w, `scoring thread died: ${err.message}`));
    w.on('exit', (code) => this.fail(w, `scoring thread died: exit code ${code}`));
    // Idle threads never keep the process alive; work in flight is awaited by its callers.
    w.unref();
    this.worker = w;
    return w;
  }

  /** Drops thread `w` (if still current), failing what it held. */
  private fail(w: Worker, why: string): void {
    if (this.worker !== w) return;
    this.worker = undefined;
    this.loaded.clear();
    for (const p of this.pending.values()) p.reject(new Error(why));
    this.pending.clear();
  }

  /** The model's id in the thread, sending the model first when the thread does not hold it. */
  private modelId(w: Worker, served: ServedModel): number {
    let id = this.loaded.get(served);
    if (id !== undefined) return id;
    id = ++Slot.ids;
    const pipeline = JSON.stringify(served.pipeline.toJSON());
    w.postMessage({ type: 'load', model: id, served: { name: served.name, version: served.version, schema: served.schema, pipeline } } satisfies ScoringRequest);
    this.loaded.set(served, id);
    for (const [old, oldId] of this.loaded) {
      if (this.loaded.size <= this.keepModels) break;
      this.loaded.delete(old);
      w.postMessage({ type: 'drop', model: oldId } satisfies ScoringRequest);
    }
    return id;
  }

  run(served: ServedModel, job: Job, transfer: ArrayBuffer[] = []): Promise<ScoringResult> {
    const w = this.thread();
    const seq = ++this.seq;
    const message = { ...job, seq, model: this.modelId(w, served) } as ScoringRequest;
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      w.postMessage(message, transfer);
    });
  }

  async close(): Promise<void> {
    const w = this.worker;
    if (!w) return;
    this.fail(w, 'scoring thread closed');
    await w.terminate();
  }
}

/** The error a thread threw, as the main thread would have seen it (DataError keeps its rule and line). */
function rebuilt(e: ThrownError): Error {
  if (e.name === 'DataError') return new DataError(e.message, e.rule ?? 'data', e.column, e.line);
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}

/**
 * Scores on worker threads instead of the calling thread: async batch chunks (parse, check and
 * score a CSV chunk) and frames of big synchronous requests. The calling event loop stays free,
 * so BullMQ keeps renewing job locks and the API keeps answering while a slow model (KNN, MLP)
 * scores. Each thread holds its own copy of the models it was sent (rebuilt from their JSON).
 */
export class ThreadScorer {
  private readonly slots: Slot[];

  constructor(o: ThreadScorerOptions = {}) {
    this.slots = Array.from({ length: Math.max(1, o.threads ?? 1) }, () => new Slot(o.keepModels ?? 2));
  }

  private slot(): Slot {
    return this.slots.reduce((a, b) => (b.busy < a.busy ? b : a));
  }

  /** `scoreCsvChunk` on a thread; `ms` is the thread's scoring time. */
  async scoreChunk(served: ServedModel, header: string[], bytes: Uint8Array, firstRow: number, maxErrors = 20): Promise<{ chunk: ScoredChunk; ms: number }> {
    const copy = bytes.slice(); // the thread gets its own buffer, moved rather than cloned
    const r = await this.slot().run(served, { type: 'chunk', header, bytes: copy, firstRow, maxErrors }, [copy.buffer]);
    if (r.type !== 'chunk') throw new Error('scoring thread answered a chunk with probabilities');
    return r;
  }

  /** `pipeline.predictProba` on a thread; `ms` is the thread's scoring time. */
  async predictProba(served: ServedModel, frame: Frame): Promise<{ proba: Float64Array; ms: number }> {
    const r = await this.slot().run(served, { type: 'proba', frame });
    if (r.type !== 'proba') throw new Error('scoring thread answered probabilities with a chunk');
    return r;
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.close()));
  }
}
