import { availableParallelism } from 'node:os';
import { isMainThread, type Worker } from 'node:worker_threads';
import { sibling, startWorker } from '../../runtime/worker-thread.js';
import type { ForestLayout, Scratch } from './score-rows.js';
import { runtimeSettings } from '../../../schema/config.js';
import { walkModules } from './walk-module.js';

/** What a scoring worker needs to hold a forest: its shared memory and where things are. */
export interface ForestRegistration {
  type: 'forest';
  id: number;
  memory: WebAssembly.Memory;
  layout: ForestLayout;
  cuts: Float64Array[];
  width: number;
  scratch: Scratch;
}

export interface ScoreJob {
  type: 'score';
  id: number;
  x: SharedArrayBuffer;
  cols: number;
  r0: number;
  r1: number;
  out: SharedArrayBuffer;
  outDim: number;
  from: number;
  to: number;
}

/** Per worker, two int32 flags in shared memory: ready (1 once listening) and done (1 ok, 2 failed). */
const READY = 0;
const DONE = 1;

/**
 * Worker threads that score row ranges of big batches next to the main thread. Scoring stays
 * synchronous: the main thread scores its own range, then blocks on `Atomics.wait` for the others;
 * a worker that is not ready yet, fails or stalls has its range scored by the main thread instead.
 */
export class ScoringPool {
  private readonly flags: Int32Array;
  private readonly workers: Worker[];

  constructor(size: number, module: WebAssembly.Module) {
    this.flags = new Int32Array(new SharedArrayBuffer(8 * size));
    this.workers = Array.from({ length: size }, (_, index) => {
      const w = startWorker(sibling(import.meta, 'scoring-worker'), { workerData: { index, flags: this.flags, module } });
      w.on('error', () => Atomics.store(this.flags, 2 * index + READY, 0));
      w.unref();
      return w;
    });
  }

  get size(): number {
    return this.workers.length;
  }

  /** Workers listening now (checked without waiting for the event loop). */
  ready(): number[] {
    return this.workers.map((_, i) => i).filter((i) => Atomics.load(this.flags, 2 * i + READY) === 1);
  }

  send(worker: number, message: ForestRegistration | ScoreJob | { type: 'drop'; id: number }): void {
    if (message.type === 'score') Atomics.store(this.flags, 2 * worker + DONE, 0);
    this.workers[worker].postMessage(message);
  }

  /**
   * Blocks until the worker finishes its job; false when it failed or did not answer in time. A
   * worker that did not answer is not used again.
   */
  wait(worker: number, timeoutMs: number): boolean {
    if (Atomics.wait(this.flags, 2 * worker + DONE, 0, timeoutMs) === 'timed-out') {
      Atomics.store(this.flags, 2 * worker + READY, 0);
      return false;
    }
    return Atomics.load(this.flags, 2 * worker + DONE) === 1;
  }

  dropEverywhere(id: number): void {
    this.workers.forEach((_, i) => this.send(i, { type: 'drop', id }));
  }
}

let pool: ScoringPool | null | undefined;

/**
 * The process's scoring pool: one worker per core beyond the first (`TM_SCORING_THREADS` sets the
 * total thread count; 1 turns it off). Only the main thread gets one, and only with WebAssembly.
 */
export function scoringPool(): ScoringPool | null {
  if (pool !== undefined) return pool;
  const threads = runtimeSettings().TM_SCORING_THREADS ?? availableParallelism();
  pool = isMainThread && walkModules && threads > 1 ? new ScoringPool(threads - 1, walkModules.shared) : null;
  return pool;
}

export function existingScoringPool(): ScoringPool | null {
  return pool ?? null;
}
