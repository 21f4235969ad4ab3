import type { ArtifactStore } from '../ports/artifact-store.js';
import type { LabelledPrediction } from './feedback-join.js';
import { feedbackInWindow } from './feedback-store.js';
import { parseNdjson } from './ndjson.js';
import { idTime } from './prediction-id.js';
import { hourOf, partSpan, PREDICTIONS_ROOT, type LoggedPrediction } from './prediction-log-format.js';
import type { TimeWindow } from './prediction-log-reader.js';

export interface FeedbackRowsOptions {
  /** Labelled rows kept at most, the newest (by prediction time). Default 50,000. */
  maxRows?: number;
  /** Log parts read at most: bounds a call's time. Default 2,000. */
  maxParts?: number;
  /** Parts read at once. Default 8. */
  concurrency?: number;
}

export interface FeedbackRows {
  /** Labelled predictions, newest first. */
  rows: LabelledPrediction[];
  /** Labels sent for predictions of the span (one per id). */
  labels: number;
  /** Labels whose prediction was not found in the log (not sampled, another model, or beyond the caps). */
  unmatched: number;
}

/**
 * The logged predictions of `model` made in a span that analysts labelled, newest first, with
 * their labels. Unlike `joinFeedback`, which reads the whole log of a window, this reads the labels
 * first (a few per thousand predictions) and then only the log parts whose time span holds a
 * labelled id, hour by hour from the newest, until `maxRows` are found: a week of log costs the
 * parts that hold labels, not the week.
 */
export async function labelledRows(store: ArtifactStore, model: string, span: TimeWindow, o: FeedbackRowsOptions = {}): Promise<FeedbackRows> {
  const maxRows = o.maxRows ?? 50_000;
  const labels = await feedbackInWindow(store, span);
  const byHour = new Map<string, number[]>();
  for (const id of labels.keys()) {
    const ms = idTime(id)!;
    const hour = hourOf(ms);
    (byHour.get(hour) ?? byHour.set(hour, []).get(hour)!).push(ms);
  }
  const rows: LabelledPrediction[] = [];
  const seen = new Set<string>();
  let parts = o.maxParts ?? 2_000;
  const concurrency = Math.max(1, o.concurrency ?? 8);
  for (const hour of [...byHour.keys()].sort().reverse()) {
    if (rows.length >= maxRows || parts <= 0) break;
    const times = byHour.get(hour)!.sort((a, b) => a - b);
    const holds = (first: number, last: number) => {
      let lo = 0;
      let hi = times.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (times[mid] < first) lo = mid + 1;
        else hi = mid;
      }
      return lo < times.length && times[lo] <= last;
    };
    const keys = (await store.list(`${PREDICTIONS_ROOT}${model}/${hour}/`)).filter((key) => {
      const s = partSpan(key);
      return s !== undefined && holds(s.firstMs, s.lastMs);
    });
    const toRead = keys.reverse().slice(0, parts);
    parts -= toRead.length;
    let next = 0;
    const reader = async () => {
      while (next < toRead.length) {
        const bytes = await store.get(toRead[next++]);
        if (!bytes) continue;
        for (const prediction of parseNdjson<LoggedPrediction>(bytes)) {
          const f = labels.get(prediction.id);
          // An id logged twice (a retried async chunk) is kept once.
          if (!f || seen.has(prediction.id)) continue;
          seen.add(prediction.id);
          rows.push({ prediction, label: f.label, labelledAt: f.receivedAt });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, toRead.length) }, reader));
  }
  // Newest first; ties (one request's ids share their time) in id order, which is row order.
  rows.sort((a, b) => (a.prediction.id < b.prediction.id ? 1 : a.prediction.id > b.prediction.id ? -1 : 0));
  const kept = rows.length > maxRows ? rows.slice(0, maxRows) : rows;
  return { rows: kept, labels: labels.size, unmatched: labels.size - seen.size };
}
