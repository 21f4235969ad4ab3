import type { DatasetSchema } from '../../schema/index.js';
import { UNKNOWN_CATEGORY } from './dataset-builder.js';

/** How one categorical column scores a value outside its list (its schema's `unknown` option). */
export interface UnknownRule {
  /** Index of the column among the schema's features. */
  feature: number;
  name: string;
  /** Listed values (as text) a cell is checked against. */
  known: Set<string>;
  /** The code an unseen value gets: UNKNOWN_CATEGORY (`ignore`) or the `other` value's code. */
  code: number;
}

/** The columns that score unseen values instead of refusing them (`unknown: ignore | other`). */
export function unknownRules(schema: DatasetSchema): UnknownRule[] {
  const rules: UnknownRule[] = [];
  schema.features.forEach((spec, feature) => {
    if (spec.kind !== 'categorical' || spec.unknown === 'error') return;
    const values = spec.values.map(String);
    rules.push({ feature, name: spec.name, known: new Set(values), code: spec.unknown === 'other' ? values.indexOf(String(spec.other)) : UNKNOWN_CATEGORY });
  });
  return rules;
}

/** Unseen values per column name, for batch status and /metrics. */
export type UnknownCounts = Record<string, number>;

/** Adds `from` into `into` (column by column). */
export function addUnknownCounts(into: UnknownCounts, from: UnknownCounts): UnknownCounts {
  for (const [column, n] of Object.entries(from)) into[column] = (into[column] ?? 0) + n;
  return into;
}
