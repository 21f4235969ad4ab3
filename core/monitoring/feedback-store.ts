import { randomBytes } from 'node:crypto';
import type { ArtifactStore } from '../ports/artifact-store.js';
import { idTime } from './prediction-id.js';
import { hourOf, hourPrefixes } from './prediction-log-format.js';
import { parseNdjson } from './ndjson.js';
import type { TimeWindow } from './prediction-log-reader.js';

/** One true label sent back for a prediction. */
export interface FeedbackRecord {
  predictionId: string;
  label: string;
  /** When the API took it (ISO): of two labels for one id, the later one counts. */
  receivedAt: string;
}

/**
 * Feedback is append-only, filed by the hour of the prediction it labels (its id's time), so that
 * a window of predictions finds its labels in the same hours whenever they were sent:
 *
 *   feedback/<YYYY-MM-DD>/<HH>/<received ms>-<writer>.ndjson
 *
 * Sending a label again for an id appends a record; readers keep one per id, the latest.
 */
export const FEEDBACK_ROOT = 'feedback/';

/** Stores labels (prediction ids already checked as UUIDv7); one part per hour of the ids. */
export async function storeFeedback(store: ArtifactStore, labels: readonly { predictionId: string; label: string }[], now = Date.now()): Promise<void> {
  const receivedAt = new Date(now).toISOString();
  const writer = randomBytes(6).toString('hex');
  const byHour = new Map<string, FeedbackRecord[]>();
  for (const l of labels) {
    const ms = idTime(l.predictionId);
    if (ms === undefined) throw new RangeError(`not a prediction id: ${l.predictionId.slice(0, 40)}`);
    const hour = hourOf(ms);
    const records = byHour.get(hour) ?? byHour.set(hour, []).get(hour)!;
    records.push({ predictionId: l.predictionId, label: l.label, receivedAt });
  }
  await Promise.all(
    [...byHour].map(([hour, records]) =>
      store.put(`${FEEDBACK_ROOT}${hour}/${String(now).padStart(13, '0')}-${writer}.ndjson`, `${records.map((r) => JSON.stringify(r)).join('\n')}\n`),
    ),
  );
}

/**
 * The labels of predictions made in a window (by their ids' time), one per id: the latest
 * received (parts in key order, which is the order received, then lines in order).
 */
export async function feedbackInWindow(store: ArtifactStore, w: TimeWindow): Promise<Map<string, FeedbackRecord>> {
  const out = new Map<string, FeedbackRecord>();
  if (!(w.toMs > w.fromMs)) return out;
  for (const prefix of hourPrefixes(FEEDBACK_ROOT, w.fromMs, w.toMs - 1)) {
    for (const key of await store.list(prefix)) {
      const bytes = await store.get(key);
      if (!bytes) continue;
      for (const r of parseNdjson<FeedbackRecord>(bytes)) {
        const ms = idTime(r.predictionId);
        if (ms !== undefined && ms >= w.fromMs && ms < w.toMs) out.set(r.predictionId, r);
      }
    }
  }
  return out;
}
