import { z } from 'zod';
import type { Frame } from '../data/frame.js';
import type { Matrix } from '../data/matrix.js';
import { ModelError } from '../errors.js';

const ColumnLayout = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('numeric'), name: z.string() }),
  z.object({ kind: z.literal('onehot'), name: z.string(), categories: z.array(z.string()) }),
  z.object({ kind: z.literal('ordinal'), name: z.string(), categories: z.array(z.string()) }),
]);
type ColumnLayout = z.infer<typeof ColumnLayout>;
const State = z.object({ columns: z.array(ColumnLayout) });

export type CategoricalEncoding = 'onehot' | 'ordinal';

/**
 * Frame -> design matrix. Numeric columns pass through (NaN stays missing); categorical columns
 * become one-hot indicator columns or one ordinal code column. A missing or unknown category
 * becomes NaN in every column it spans, so the imputer fills it like any missing value.
 */
export class FeatureEncoder {
  static readonly kind = 'feature_encoder';
  private columns?: ColumnLayout[];

  /** `encodings` picks the encoding per categorical column; others default to one-hot. */
  fit(frame: Frame, encodings: Record<string, CategoricalEncoding> = {}): this {
    this.columns = frame.columns.map((c) =>
      c.kind === 'numeric' ? { kind: 'numeric', name: c.name } : { kind: encodings[c.name] ?? 'onehot', name: c.name, categories: c.categories },
    );
    return this;
  }

  get outputNames(): string[] {
    return this.layout().flatMap((c) => (c.kind === 'onehot' ? c.categories.map((v) => `${c.name}=${v}`) : [c.name]));
  }

  private layout(): ColumnLayout[] {
    if (!this.columns) throw new ModelError('feature_encoder is not fitted');
    return this.columns;
  }

  transform(frame: Frame): Matrix {
    const layout = this.layout();
    const cols = this.outputNames.length;
    const n = frame.nRows;
    const data = new Float32Array(n * cols);
    let at = 0;
    layout.forEach((spec) => {
      const col = frame.columns.find((c) => c.name === spec.name);
      if (!col || (col.kind === 'numeric') !== (spec.kind === 'numeric')) {
        throw new ModelError(`feature_encoder: column ${spec.name} is missing or of another kind than at fit time`);
      }
      if (col.kind === 'numeric') {
        for (let i = 0; i < n; i++) data[i * cols + at] = col.values[i];
        at++;
        return;
      }
      if (spec.kind === 'numeric') return;
      // Map the frame's dictionary onto the fitted one (they match when both come from the schema).
      const remap = Int32Array.from(col.categories, (c) => spec.categories.indexOf(c));
      const width = spec.kind === 'onehot' ? spec.categories.length : 1;
      for (let i = 0; i < n; i++) {
        const code = col.codes[i] >= 0 ? remap[col.codes[i]] : -1;
        const o = i * cols + at;
        if (code < 0) for (let j = 0; j < width; j++) data[o + j] = NaN;
        else if (spec.kind === 'onehot') data[o + code] = 1;
        else data[o] = code;
      }
      at += width;
    });
    return { data, rows: n, cols };
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
