import type { ArtifactStore } from '../ports/artifact-store.js';
import { parseNdjson } from './ndjson.js';
import { hourPrefixes, partSpan, PREDICTIONS_ROOT, type LoggedPrediction } from './prediction-log-format.js';

/** A time window, Unix ms: `from` included, `to` excluded. */
export interface TimeWindow {
  fromMs: number;
  toMs: number;
}

export interface ReadLogOptions {
  /** Parts read at once (S3 round trips overlap). Default 8. */
  concurrency?: number;
}

/** Keys of the parts of `model`'s log that may hold rows of the window, in time order of their first row. */
export async function partsInWindow(store: ArtifactStore, model: string, w: TimeWindow): Promise<string[]> {
  if (!(w.toMs > w.fromMs)) return [];
  const keys: string[] = [];
  for (const prefix of hourPrefixes(`${PREDICTIONS_ROOT}${model}/`, w.fromMs, w.toMs - 1)) {
    for (const key of await store.list(prefix)) {
      const span = partSpan(key);
      if (span && span.lastMs >= w.fromMs && span.firstMs < w.toMs) keys.push(key);
    }
  }
  return keys.sort();
}

/**
 * The logged predictions of `model` in a time window, part by part (each a list of rows, only those
 * whose `at` is in the window). Parts are read a few at a time, so memory holds those few parts
 * and what the caller keeps. Async batch rows arrive late (when their chunk is scored), with the
 * time of the batch's acceptance: a window read again later may hold more.
 */
export async function* readPredictionLog(store: ArtifactStore, model: string, w: TimeWindow, o: ReadLogOptions = {}): AsyncGenerator<LoggedPrediction[]> {
  const keys = await partsInWindow(store, model, w);
  const concurrency = Math.max(1, o.concurrency ?? 8);
  const inWindow = (r: LoggedPrediction) => {
    const ms = Date.parse(r.at);
    return ms >= w.fromMs && ms < w.toMs;
  };
  const read = async (key: string) => {
    const bytes = await store.get(key);
    return bytes ? parseNdjson<LoggedPrediction>(bytes) : [];
  };
  const pending: { key: string; rows: Promise<LoggedPrediction[]> }[] = [];
  let next = 0;
  const more = () => {
    while (pending.length < concurrency && next < keys.length) {
      const key = keys[next++];
      const rows = read(key);
      rows.catch(() => undefined); // awaited in turn below; a later failure must not go unhandled first
      pending.push({ key, rows });
    }
  };
  more();
  while (pending.length) {
    const { key, rows: reading } = pending.shift()!;
    const rows = await reading;
    more();
    const span = partSpan(key)!;
    // A part wholly inside the window needs no per-row check.
    yield span.firstMs >= w.fromMs && span.lastMs < w.toMs ? rows : rows.filter(inWindow);
  }
}

/** Every logged prediction of the window, in one list (a monitor window of 100k rows). */
export async function readWindow(store: ArtifactStore, model: string, w: TimeWindow, o?: ReadLogOptions): Promise<LoggedPrediction[]> {
  const out: LoggedPrediction[] = [];
  for await (const rows of readPredictionLog(store, model, w, o)) for (const r of rows) out.push(r);
  return out;
}
