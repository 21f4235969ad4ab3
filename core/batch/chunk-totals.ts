import type { ChunkResult, RowError } from '../../schema/batches.js';
import { addUnknownCounts, type UnknownCounts } from '../data/unknown-category.js';

/** A batch's totals from its finished chunks' results (in chunk order), the first `maxErrors` invalid rows kept. */
export function chunkTotals(results: ChunkResult[], maxErrors: number) {
  const sorted = [...results].sort((a, b) => a.chunk - b.chunk);
  const predicted: Record<string, number> = {};
  const unknown: UnknownCounts = {};
  for (const r of sorted) {
    for (const [c, n] of Object.entries(r.predicted)) predicted[c] = (predicted[c] ?? 0) + n;
    addUnknownCounts(unknown, r.unknown);
  }
  const errors: RowError[] = sorted.flatMap((r) => r.errors).slice(0, maxErrors);
  return {
    chunks: sorted.length,
    rows: sorted.reduce((s, r) => s + r.rows, 0),
    scored: sorted.reduce((s, r) => s + r.scored, 0),
    invalid: sorted.reduce((s, r) => s + r.invalid, 0),
    errors,
    predicted,
    unknown,
  };
}
