import type { DatasetSchema } from '../../schema/index.js';
import { DataError } from '../errors.js';
import type { IssueCollector } from './read-issues.js';

/** Where each schema column sits in the incoming header (-1 when absent). */
export interface HeaderMap {
  features: number[];
  label: number;
  width: number;
}

const normalise = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');

/** Edit distance, for pointing at a probably renamed column. */
function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

function likelyRename(missing: string, extras: string[]): string | undefined {
  const m = normalise(missing);
  return extras.find((e) => normalise(e) === m) ?? extras.find((e) => distance(normalise(e), m) <= Math.max(1, Math.floor(m.length / 6)));
}

/**
 * Maps a header onto the schema. A missing label column is fatal when the label is required;
 * missing, extra and renamed feature columns are recorded as issues.
 */
export function mapHeader(header: string[], schema: DatasetSchema, issues: IssueCollector, requireLabel: boolean): HeaderMap {
  const names = header.map((h) => h.trim());
  const index = new Map<string, number>();
  names.forEach((n, i) => {
    if (index.has(n)) throw new DataError(`column ${n} appears twice in the header`, 'unique-columns', n, 1);
    index.set(n, i);
  });
  const label = index.get(schema.label.name) ?? -1;
  if (label < 0 && requireLabel) {
    throw new DataError(`the label column ${schema.label.name} is missing from the header`, 'required-column', schema.label.name, 1);
  }
  const known = new Set([...schema.features.map((f) => f.name), schema.label.name, ...schema.ignore]);
  const extras = names.filter((n) => !known.has(n));
  const features = schema.features.map((f) => {
    const at = index.get(f.name);
    if (at !== undefined) return at;
    const renamed = likelyRename(f.name, extras);
    const hint = renamed ? ` (renamed to ${renamed}?)` : '';
    issues.add(renamed ? 'renamed-column' : 'missing-column', 'error', f.name, `column ${f.name} is missing${hint}`, { value: renamed });
    return -1;
  });
  for (const e of extras) issues.add('extra-column', 'warning', e, `column ${e} is not in the schema and is ignored`);
  return { features, label, width: names.length };
}
