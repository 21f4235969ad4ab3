import { threatIndices, threatScores } from '../../core/calibration/threat-score.js';
import { argmaxRows } from '../../core/models/model.js';
import { idAt, type IdRange } from '../../core/monitoring/prediction-id.js';
import type { ServedModel } from './model-holder.js';

/** Scored rows of one request: probabilities (rows x classes), each row's class and threat score. */
export interface Scored {
  served: ServedModel;
  proba: Float64Array;
  best: Int32Array;
  /** P(any threat class) per row; `threat` is score >= the served threshold. */
  score: Float64Array;
}

/**
 * The answers of one served model (and threshold), written straight to JSON text: the per-class
 * pieces (label, probability keys) are escaped once per model, not per request, and no answer
 * objects are built on the way. Shapes are the Prediction and BatchPrediction schemas of the
 * predict routes.
 */
export class Verdicts {
  readonly classes: string[];
  private readonly K: number;
  /** Per class: `{"label":"-1","threat":` */
  private readonly heads: string[];
  private readonly threatClasses: number[];
  readonly threshold: number;
  /** Per class: `"-1":` */
  private readonly keys: string[];
  /** `,"model":"phishing","modelVersion":3` */
  private readonly tail: string;

  constructor(readonly served: ServedModel) {
    this.classes = served.pipeline.classes;
    this.K = this.classes.length;
    this.threatClasses = served.threatClasses ?? threatIndices(this.classes, served.schema.label.threat);
    this.threshold = served.threshold;
    this.heads = this.classes.map((c) => `{"label":${JSON.stringify(c)},"threat":`);
    this.keys = this.classes.map((c) => `${JSON.stringify(c)}:`);
    this.tail = `,"model":${JSON.stringify(served.name)},"modelVersion":${served.version}`;
  }

  /** Scores rows already encoded by the caller's model (see `score`). */
  scored(proba: Float64Array): Scored {
    return { served: this.served, proba, best: argmaxRows(proba, this.K), score: threatScores(proba, this.K, this.threatClasses) };
  }

  /** Row i's threat flag: its score reaches the threshold. */
  threat(s: Scored, i: number): boolean {
    return s.score[i] >= this.threshold;
  }

  private verdict(s: Scored, i: number, withThreshold: boolean, ids?: IdRange): string {
    const score = s.score[i];
    // A prediction id (UUIDv7: nothing to escape) goes first: `{"predictionId":"…","label":…`.
    const head = ids ? `{"predictionId":"${idAt(ids, i)}",${this.heads[s.best[i]].slice(1)}` : this.heads[s.best[i]];
    let out = `${head}${score >= this.threshold},"score":${Number.isFinite(score) ? score : null}${withThreshold ? `,"threshold":${this.threshold}` : ''},"probabilities":{`;
    for (let k = 0; k < this.K; k++) {
      const p = s.proba[i * this.K + k];
      // As JSON.stringify writes numbers: a finite double as is, anything else as null.
      out += `${k ? ',' : ''}${this.keys[k]}${Number.isFinite(p) ? p : null}`;
    }
    return `${out}}`;
  }

  /**
   * One row: `{predictionId, label, threat, score, threshold, probabilities, model, modelVersion}`
   * (the id when `ids` is given); `extra`: more members (`,"k":v`).
   */
  one(s: Scored, ids?: IdRange, extra?: (i: number) => string): string {
    return `${this.verdict(s, 0, true, ids)}${extra?.(0) ?? ''}${this.tail}}`;
  }

  /** Every row, in order: `{predictions: [{predictionId, label, threat, score, probabilities}...], threshold, model, modelVersion}`. */
  batch(s: Scored, ids?: IdRange, extra?: (i: number) => string): string {
    const parts = new Array<string>(s.best.length);
    for (let i = 0; i < parts.length; i++) parts[i] = `${this.verdict(s, i, false, ids)}${extra?.(i) ?? ''}}`;
    return `{"predictions":[${parts.join(',')}],"threshold":${this.threshold}${this.tail}}`;
  }

  /** Rows per class, in `classes` order. */
  counts(s: Scored): number[] {
    const counts = new Array<number>(this.K).fill(0);
    for (const k of s.best) counts[k]++;
    return counts;
  }

  /** Row i's probabilities as an object (for the prediction log). */
  probabilities(s: Scored, i: number): Record<string, number> {
    const out: Record<string, number> = {};
    for (let k = 0; k < this.K; k++) out[this.classes[k]] = s.proba[i * this.K + k];
    return out;
  }
}
