import { argmaxRows } from '../../core/models/model.js';
import { idAt, type IdRange } from '../../core/monitoring/prediction-id.js';
import type { ServedModel } from './model-holder.js';

/** Scored rows of one request: probabilities (rows x classes) and each row's class. */
export interface Scored {
  served: ServedModel;
  proba: Float64Array;
  best: Int32Array;
}

/**
 * The answers of one served model, written straight to JSON text: the per-class pieces (label,
 * threat flag, probability keys) are escaped once per model, not per request, and no answer
 * objects are built on the way. Shapes are the Prediction and BatchPrediction schemas of the
 * predict routes.
 */
export class Verdicts {
  readonly classes: string[];
  /** Per class: whether it is a threat class. */
  readonly threat: boolean[];
  private readonly K: number;
  /** Per class: `{"label":"-1","threat":true,"probabilities":{` */
  private readonly heads: string[];
  /** Per class: `"-1":` */
  private readonly keys: string[];
  /** `,"model":"phishing","modelVersion":3` */
  private readonly tail: string;

  constructor(readonly served: ServedModel) {
    this.classes = served.pipeline.classes;
    this.K = this.classes.length;
    const threats = new Set(served.schema.label.threat.map(String));
    this.threat = this.classes.map((c) => threats.has(c));
    this.heads = this.classes.map((c) => `{"label":${JSON.stringify(c)},"threat":${threats.has(c)},"probabilities":{`);
    this.keys = this.classes.map((c) => `${JSON.stringify(c)}:`);
    this.tail = `,"model":${JSON.stringify(served.name)},"modelVersion":${served.version}`;
  }

  /** Scores rows already encoded by the caller's model (see `score`). */
  scored(proba: Float64Array): Scored {
    return { served: this.served, proba, best: argmaxRows(proba, this.K) };
  }

  private verdict(s: Scored, i: number, ids?: IdRange): string {
    // A prediction id (UUIDv7: nothing to escape) goes first: `{"predictionId":"…","label":…`.
    let out = ids ? `{"predictionId":"${idAt(ids, i)}",${this.heads[s.best[i]].slice(1)}` : this.heads[s.best[i]];
    for (let k = 0; k < this.K; k++) {
      const p = s.proba[i * this.K + k];
      // As JSON.stringify writes numbers: a finite double as is, anything else as null.
      out += `${k ? ',' : ''}${this.keys[k]}${Number.isFinite(p) ? p : null}`;
    }
    return `${out}}`;
  }

  /** One row: `{predictionId, label, threat, probabilities, model, modelVersion}` (the id when `ids` is given). */
  one(s: Scored, ids?: IdRange): string {
    return `${this.verdict(s, 0, ids)}${this.tail}}`;
  }

  /** Every row, in order: `{predictions: [{predictionId, label, threat, probabilities}...], model, modelVersion}`. */
  batch(s: Scored, ids?: IdRange): string {
    const parts = new Array<string>(s.best.length);
    for (let i = 0; i < parts.length; i++) parts[i] = `${this.verdict(s, i, ids)}}`;
    return `{"predictions":[${parts.join(',')}]${this.tail}}`;
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
