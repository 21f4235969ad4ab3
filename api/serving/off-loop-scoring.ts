import { ThreadScorer } from '../../core/batch/thread-scorer.js';
import type { Frame } from '../../core/data/frame.js';
import type { ArtifactStore } from '../../core/ports/artifact-store.js';
import { assertExplainable } from '../../core/explain/explainer.js';
import type { ServedModel } from './model-holder.js';

export interface OffLoopScoringOptions {
  /** The artifact store of the served registry: the scoring thread loads the versions it scores from it. */
  store: ArtifactStore;
  /** Requests below this many rows always score inline (and only bigger ones teach the cost). Default 256. */
  minRows?: number;
  /** Longest scoring, in ms, allowed on the event loop; bigger requests go to a scoring thread. Default 20. */
  inlineMs?: number;
}

/**
 * Tree families: always scored inline, by the WebAssembly walk on every core (the scoring pool),
 * which takes milliseconds for the biggest synchronous batch. On the one scoring thread they walk
 * on one core: when slow timings on a loaded machine sent them there, bench:api's 1,000-row batches
 * fell from 26 % to 17 % of the bare server's rate.
 */
const TREES = new Set(['decision_tree', 'random_forest', 'gradient_boosting', 'xgboost']);

/**
 * Scores a request inline when that is short, else on a scoring thread, so that a 10,000-row
 * batch on a slow model (KNN, MLP) never holds the event loop (health checks, other requests).
 * Tree ensembles always score inline (their serving speed is unchanged). For other models the
 * cost per row is learned per served model from its requests of `minRows` or more, and counts as
 * high until the first one.
 */
export class OffLoopScoring {
  private readonly minRows: number;
  private readonly inlineMs: number;
  private readonly threads: ThreadScorer;
  /** Per served model: scoring ms per row, a moving average. */
  private readonly msPerRow = new WeakMap<ServedModel, number>();

  constructor(o: OffLoopScoringOptions) {
    this.minRows = o.minRows ?? 256;
    this.inlineMs = o.inlineMs ?? 20;
    // One thread, started by the first request sent to it, which then loads the model there (the
    // event loop stays free meanwhile): requests this big are rare, and scoring on both cores
    // would starve the event loop.
    this.threads = new ThreadScorer({ store: o.store });
  }

  /** Where a request of `rows` rows scores. */
  placement(served: ServedModel, rows: number): 'inline' | 'thread' {
    if (rows < this.minRows || TREES.has(served.pipeline.model.kind)) return 'inline';
    return rows * (this.msPerRow.get(served) ?? Infinity) <= this.inlineMs ? 'inline' : 'thread';
  }

  async predictProba(served: ServedModel, frame: Frame): Promise<Float64Array> {
    const rows = frame.nRows;
    if (this.placement(served, rows) === 'inline') {
      const t0 = performance.now();
      const proba = served.pipeline.predictProba(frame);
      this.learn(served, rows, performance.now() - t0);
      return proba;
    }
    const { proba, ms } = await this.threads.predictProba(served, frame);
    this.learn(served, rows, ms);
    return proba;
  }

  /**
   * Probabilities of the frame's rows and each row's explanation (its `top` largest contributions,
   * as the JSON text of the answer), always on the scoring thread: building a model's explainer
   * takes hundreds of ms and explaining a row hundreds of times a tree walk, so neither may hold
   * the event loop (plain predictions keep it; the thread uses the other core). Folding, top-k and
   * JSON are done there too. A family that is never explained is refused here, before the thread
   * loads the model.
   */
  async explain(served: ServedModel, frame: Frame, top: number): Promise<{ proba: Float64Array; explanations: string[] }> {
    assertExplainable(served.pipeline.model.kind);
    return this.threads.explain(served, frame, top);
  }

  private learn(served: ServedModel, rows: number, ms: number): void {
    if (rows < this.minRows) return;
    const seen = this.msPerRow.get(served);
    this.msPerRow.set(served, seen === undefined ? ms / rows : 0.7 * seen + 0.3 * (ms / rows));
  }

  close(): Promise<void> {
    return this.threads.close();
  }
}
