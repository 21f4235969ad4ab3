import type { ExplainedRows } from '../explain/explainer.js';
import { topFeatures } from '../explain/explanation.js';
import { csvField } from './csv-field.js';

/**
 * The explanation columns of an async batch asked for its top `top` contributions:
 * `explain_base` (the output with no feature known), then per rank r = 1..top
 * `explain_<r>_feature` and `explain_<r>_contribution` (largest |contribution| first, ties in
 * feature order, as /v1/predict lists them), then `explain_output` (base + the sum of every
 * feature's contribution, listed or not: the model's raw output for the class explained).
 */
export function explainColumns(top: number): string[] {
  const ranks: string[] = [];
  for (let r = 1; r <= top; r++) ranks.push(`explain_${r}_feature`, `explain_${r}_contribution`);
  return ['explain_base', ...ranks, 'explain_output'];
}

/** Writes rows' explanation cells, `,`-led, in `explainColumns(top)` order. */
export class ExplainCells {
  /** The cells of a row left unscored: all empty. */
  readonly empty: string;
  private readonly names: string[];
  private readonly F: number;

  constructor(
    private readonly rows: ExplainedRows,
    private readonly top: number,
  ) {
    this.F = rows.features.length;
    this.names = rows.features.map(csvField);
    this.empty = ','.repeat(2 * top + 2);
  }

  /** Explained row `k`'s cells; ranks past the model's feature count stay empty. */
  cells(k: number): string {
    const { phi, base } = this.rows;
    const F = this.F;
    let sum = 0;
    for (let j = 0; j < F; j++) sum += phi[k * F + j];
    const listed = topFeatures(phi, F, k, this.top);
    // Template literals write numbers in shortest round-trip form, as the probabilities are.
    let out = `,${base[k]}`;
    for (const j of listed) out += `,${this.names[j]},${phi[k * F + j]}`;
    out += ','.repeat(2 * (this.top - listed.length));
    return `${out},${base[k] + sum}`;
  }
}
