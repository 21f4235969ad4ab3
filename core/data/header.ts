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

/**
 * Rename hints are a courtesy, so their cost is capped whatever the header holds: only names of
 * at most HINT_MAX_LENGTH characters (after normalising) are compared, with at most
 * HINT_CANDIDATES extra columns, by an edit distance cut off at the threshold. A hostile header
 * (a 4 MB cell, 100,000 columns) once cost seconds of the event loop here.
 */
export const HINT_MAX_LENGTH = 40;
export const HINT_CANDIDATES = 256;

/** Whether the edit distance of a and b is at most k: only the diagonal band of width 2k+1 is filled. */
export function withinDistance(a: string, b: string, k: number): boolean {
  if (Math.abs(a.length - b.length) > k) return false;
  const FAR = k + 1;
  let prev = new Int32Array(b.length + 2).fill(FAR);
  let cur = new Int32Array(b.length + 2).fill(FAR);
  for (let j = 0; j <= Math.min(b.length, k); j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    const from = Math.max(1, i - k);
    const to = Math.min(b.length, i + k);
    // Cells just outside the band stay "too far" (they may hold values from two rows back).
    cur[from - 1] = from === 1 && i <= k ? i : FAR;
    cur[to + 1] = FAR;
    let best = FAR;
    for (let j = from; j <= to; j++) {
      const v = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1), FAR);
      cur[j] = v;
      if (v < best) best = v;
    }
    if (best > k && cur[0] > k) return false;
    [prev, cur] = [cur, prev];
  }
  return prev[b.length] <= k;
}

/** Finds, among the extra columns, the probable new name of each missing one (bounded work, see above). */
function renameFinder(extras: string[]): (missing: string) => string | undefined {
  const exact = new Map<string, string>();
  const near: [string, string][] = [];
  for (const e of extras) {
    const n = normalise(e);
    if (!exact.has(n)) exact.set(n, e);
    if (n.length <= HINT_MAX_LENGTH && near.length < HINT_CANDIDATES) near.push([n, e]);
  }
  return (missing) => {
    const m = normalise(missing);
    const same = exact.get(m);
    if (same !== undefined) return same;
    if (m.length > HINT_MAX_LENGTH) return undefined;
    const k = Math.max(1, Math.floor(m.length / 6));
    return near.find(([n]) => withinDistance(n, m, k))?.[1];
  };
}

/** A column name as messages show it: hostile headers hold megabyte names. */
const shown = (name: string) => (name.length > 100 ? `${name.slice(0, 100)}...` : name);

/**
 * Maps a header onto the schema. A missing label column is fatal when the label is required;
 * missing, extra and renamed feature columns are recorded as issues.
 */
export function mapHeader(header: string[], schema: DatasetSchema, issues: IssueCollector, requireLabel: boolean): HeaderMap {
  const names = header.map((h) => h.trim());
  const index = new Map<string, number>();
  names.forEach((n, i) => {
    if (index.has(n)) throw new DataError(`column ${shown(n)} appears twice in the header`, 'unique-columns', n, 1);
    index.set(n, i);
  });
  const label = index.get(schema.label.name) ?? -1;
  if (label < 0 && requireLabel) {
    throw new DataError(`the label column ${schema.label.name} is missing from the header`, 'required-column', schema.label.name, 1);
  }
  const known = new Set([...schema.features.map((f) => f.name), schema.label.name, ...schema.ignore]);
  const extras = names.filter((n) => !known.has(n));
  const likelyRename = renameFinder(extras);
  const features = schema.features.map((f) => {
    const at = index.get(f.name);
    if (at !== undefined) return at;
    const renamed = likelyRename(f.name);
    const hint = renamed ? ` (renamed to ${renamed}?)` : '';
    issues.add(renamed ? 'renamed-column' : 'missing-column', 'error', f.name, `column ${f.name} is missing${hint}`, { value: renamed });
    return -1;
  });
  for (const e of extras) issues.add('extra-column', 'warning', e, `column ${shown(e)} is not in the schema and is ignored`);
  return { features, label, width: names.length };
}
