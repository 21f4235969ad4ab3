import type { ArtifactStore } from '../ports/artifact-store.js';
import { parseNdjson } from './ndjson.js';
import { idTime } from './prediction-id.js';
import { hourOf, partSpan, PREDICTIONS_ROOT, type LoggedPrediction } from './prediction-log-format.js';

export interface FindLoggedOptions {
  /** Log parts read at most (the rest of the ids count as unchecked): bounds a call's time. Default 2,000. */
  maxParts?: number;
  /** Parts read at once. Default 8. */
  concurrency?: number;
}

/**
 * Which of `ids` (UUIDv7 prediction ids) the prediction log of `model` holds. An id's time says
 * which hour folder, and which parts of it (by their time span), can hold it: only those are read.
 * `unchecked`: ids whose parts were beyond `maxParts`.
 */
export async function findLogged(store: ArtifactStore, model: string, ids: Iterable<string>, o: FindLoggedOptions = {}): Promise<{ found: Set<string>; unchecked: Set<string> }> {
  const byHour = new Map<string, { id: string; ms: number }[]>();
  for (const id of ids) {
    const ms = idTime(id);
    if (ms === undefined) continue;
    const hour = hourOf(ms);
    (byHour.get(hour) ?? byHour.set(hour, []).get(hour)!).push({ id, ms });
  }
  // The parts to read, each with the ids it may hold.
  const parts: { key: string; ids: string[] }[] = [];
  for (const [hour, wanted] of byHour) {
    wanted.sort((a, b) => a.ms - b.ms);
    for (const key of await store.list(`${PREDICTIONS_ROOT}${model}/${hour}/`)) {
      const span = partSpan(key);
      if (!span) continue;
      let lo = 0;
      let hi = wanted.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (wanted[mid].ms < span.firstMs) lo = mid + 1;
        else hi = mid;
      }
      const inside: string[] = [];
      for (let i = lo; i < wanted.length && wanted[i].ms <= span.lastMs; i++) inside.push(wanted[i].id);
      if (inside.length) parts.push({ key, ids: inside });
    }
  }
  const maxParts = o.maxParts ?? 2_000;
  const found = new Set<string>();
  const unchecked = new Set<string>();
  for (const p of parts.slice(maxParts)) for (const id of p.ids) unchecked.add(id);
  const toRead = parts.slice(0, maxParts);
  const concurrency = Math.max(1, o.concurrency ?? 8);
  let next = 0;
  const reader = async () => {
    while (next < toRead.length) {
      const p = toRead[next++];
      const bytes = await store.get(p.key);
      if (!bytes) continue;
      const wanted = new Set(p.ids);
      for (const row of parseNdjson<LoggedPrediction>(bytes)) if (wanted.has(row.id)) found.add(row.id);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, toRead.length) }, reader));
  // An id also seen in a part that was read is found, whatever other parts were skipped.
  for (const id of found) unchecked.delete(id);
  return { found, unchecked };
}
