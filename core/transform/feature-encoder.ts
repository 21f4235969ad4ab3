import { z } from 'zod';
import type { Frame } from '../data/frame.js';
import { allocFloat32, type Matrix } from '../data/matrix.js';
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
    const data = allocFloat32(n * cols);
    let at = 0;
    let missing = false;
    const writers = layout.map((spec) => {
      const col = frame.columns.find((c) => c.name === spec.name);
      if (!col || (col.kind === 'numeric') !== (spec.kind === 'numeric')) {
        throw new ModelError(`feature_encoder: column ${spec.name} is missing or of another kind than at fit time`);
      }
      const offset = at;
      if (col.kind === 'numeric') {
        at++;
        const values = col.values;
        return (r0: number, r1: number) => {
          for (let i = r0; i < r1; i++) {
            const v = values[i];
            if (v !== v) missing = true;
            data[i * cols + offset] = v;
          }
        };
      }
      if (spec.kind === 'numeric') throw new ModelError(`feature_encoder: column ${spec.name} changed kind`);
      // Map the frame's dictionary onto the fitted one (they match when both come from the schema).
      const remap = Int32Array.from(col.categories, (c) => spec.categories.indexOf(c));
      const width = spec.kind === 'onehot' ? spec.categories.length : 1;
      const { codes } = col;
      const onehot = spec.kind === 'onehot';
      at += width;
      return (r0: number, r1: number) => {
        for (let i = r0; i < r1; i++) {
          const code = codes[i] >= 0 ? remap[codes[i]] : -1;
          const o = i * cols + offset;
          if (code < 0) {
            data.fill(NaN, o, o + width);
            missing = true;
          }
          else if (onehot) data[o + code] = 1;
          else data[o] = code;
        }
      };
    });
    // Row blocks keep the output lines in cache while every column writes into them.
    const BLOCK = 1024;
    for (let r0 = 0; r0 < n; r0 += BLOCK) {
      const r1 = Math.min(n, r0 + BLOCK);
      for (const write of writers) write(r0, r1);
    }
    return { data, rows: n, cols, hasMissing: missing };
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
