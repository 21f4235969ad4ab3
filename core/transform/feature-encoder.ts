import { z } from 'zod';
import { UNKNOWN_CATEGORY } from '../data/dataset-builder.js';
import type { Frame } from '../data/frame.js';
import { allocFloat32, type Matrix } from '../data/matrix.js';
import { ModelError } from '../errors.js';

const ColumnLayout = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('numeric'), name: z.string() }),
  z.object({ kind: z.literal('onehot'), name: z.string(), categories: z.array(z.string()) }),
  z.object({ kind: z.literal('ordinal'), name: z.string(), categories: z.array(z.string()) }),
  z.object({ kind: z.literal('native'), name: z.string(), categories: z.array(z.string()) }),
]);
type ColumnLayout = z.infer<typeof ColumnLayout>;
const State = z.object({ columns: z.array(ColumnLayout) });

export type CategoricalEncoding = 'onehot' | 'ordinal' | 'native';

/** Native encoding: a missing category (tree models give it its own bin; never NaN, so no imputer fills it). */
export const NATIVE_MISSING = -1;
/** Native encoding: a category the fitted dictionary does not hold (the model scores it like its rare categories). */
export const NATIVE_UNKNOWN = UNKNOWN_CATEGORY;

/** A natively encoded categorical column of the output matrix: which column, how many categories. */
export interface CategoricalFeature {
  column: number;
  categories: number;
}

/**
 * Frame -> design matrix. Numeric columns pass through (NaN stays missing); categorical columns
 * become one-hot indicator columns or one ordinal code column. A missing category becomes NaN in
 * every column it spans, so the imputer fills it like any missing value; an unknown one
 * (UNKNOWN_CATEGORY) sets no one-hot column and is missing as an ordinal code.
 * `native` (for tree models that split on category sets) also writes one code column, but a
 * missing category becomes NATIVE_MISSING and an unknown one NATIVE_UNKNOWN, not NaN.
 */
export class FeatureEncoder {
  static readonly kind = 'feature_encoder';
  private columns?: ColumnLayout[];
  private names?: string[];

  /** `encodings` picks the encoding per categorical column; others get `fallback` (default one-hot). */
  fit(frame: Frame, encodings: Record<string, CategoricalEncoding> = {}, fallback: CategoricalEncoding = 'onehot'): this {
    this.names = undefined;
    this.columns = frame.columns.map((c) =>
      c.kind === 'numeric' ? { kind: 'numeric', name: c.name } : { kind: encodings[c.name] ?? fallback, name: c.name, categories: c.categories },
    );
    return this;
  }

  get outputNames(): string[] {
    this.names ??= this.layout().flatMap((c) => (c.kind === 'onehot' ? c.categories.map((v) => `${c.name}=${v}`) : [c.name]));
    return this.names;
  }

  /** The natively encoded columns (see `native`), in output order. */
  get categoricalFeatures(): CategoricalFeature[] {
    const out: CategoricalFeature[] = [];
    let at = 0;
    for (const c of this.layout()) {
      if (c.kind === 'native') out.push({ column: at, categories: c.categories.length });
      at += c.kind === 'onehot' ? c.categories.length : 1;
    }
    return out;
  }

  private layout(): ColumnLayout[] {
    if (!this.columns) throw new ModelError('feature_encoder is not fitted');
    return this.columns;
  }

  /**
   * Encodes `frame`. With `into` (a buffer the caller owns and no longer reads), the matrix is
   * written there when it fits, which spares page faults on big batches.
   */
  transform(frame: Frame, into?: Float32Array): Matrix {
    const layout = this.layout();
    const cols = this.outputNames.length;
    const n = frame.nRows;
    const reuse = into && into.length >= n * cols;
    const data = reuse ? into.subarray(0, n * cols) : allocFloat32(n * cols);
    const numeric: { values: Float64Array; at: number }[] = [];
    const categorical: { codes: Int32Array; remap: Int32Array; width: number; onehot: boolean; native: boolean; at: number }[] = [];
    let at = 0;
    for (const [i, spec] of layout.entries()) {
      // Frames from the schema keep the fitted order: look a column up only when they do not.
      const col = frame.columns[i]?.name === spec.name ? frame.columns[i] : frame.columns.find((c) => c.name === spec.name);
      if (!col || (col.kind === 'numeric') !== (spec.kind === 'numeric')) {
        throw new ModelError(`feature_encoder: column ${spec.name} is missing or of another kind than at fit time`);
      }
      if (col.kind === 'numeric') {
        numeric.push({ values: col.values, at: at++ });
      } else if (spec.kind !== 'numeric') {
        // Map the frame's dictionary onto the fitted one (they match when both come from the schema).
        const remap = Int32Array.from(col.categories, (c) => spec.categories.indexOf(c));
        const width = spec.kind === 'onehot' ? spec.categories.length : 1;
        categorical.push({ codes: col.codes, remap, width, onehot: spec.kind === 'onehot', native: spec.kind === 'native', at });
        at += width;
      }
    }
    if (reuse && categorical.some((c) => c.onehot)) data.fill(0);
    let missing = 0;
    // Row blocks keep the output lines in cache while every column writes into them.
    for (let r0 = 0; r0 < n; r0 += 1024) {
      const r1 = Math.min(n, r0 + 1024);
      for (const { values, at: c } of numeric) {
        for (let i = r0; i < r1; i++) {
          const v = values[i];
          missing |= +(v !== v);
          data[i * cols + c] = v;
        }
      }
      for (const { codes, remap, width, onehot, native, at: c } of categorical) {
        if (native) {
          for (let i = r0; i < r1; i++) {
            const code = codes[i];
            data[i * cols + c] = code === -1 ? NATIVE_MISSING : code >= 0 && remap[code] >= 0 ? remap[code] : NATIVE_UNKNOWN;
          }
          continue;
        }
        for (let i = r0; i < r1; i++) {
          const code = codes[i] >= 0 ? remap[codes[i]] : codes[i];
          const o = i * cols + c;
          // An unseen category scored under `unknown: ignore`: no indicator set (scikit-learn's
          // handle_unknown="ignore"); ordinal codes treat it as missing.
          if (code === UNKNOWN_CATEGORY && onehot) continue;
          if (code < 0) {
            data.fill(NaN, o, o + width);
            missing = 1;
          } else if (onehot) data[o + code] = 1;
          else data[o] = code;
        }
      }
    }
    return { data, rows: n, cols, hasMissing: missing === 1 };
  }

  toJSON() {
    return { kind: FeatureEncoder.kind, version: 1, params: {}, state: { columns: this.layout() } };
  }

  static fromJSON(json: { kind: string; state: unknown }): FeatureEncoder {
    if (json.kind !== FeatureEncoder.kind) throw new ModelError(`expected ${FeatureEncoder.kind}, got ${json.kind}`);
    const enc = new FeatureEncoder();
    enc.columns = State.parse(json.state).columns;
    return enc;
  }
}
