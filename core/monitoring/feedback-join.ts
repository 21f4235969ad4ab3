import type { ArtifactStore } from '../ports/artifact-store.js';
import { feedbackInWindow } from './feedback-store.js';
import type { LoggedPrediction } from './prediction-log-format.js';
import { readPredictionLog, type ReadLogOptions, type TimeWindow } from './prediction-log-reader.js';

/** A logged prediction with the true label sent back for it. */
export interface LabelledPrediction {
  prediction: LoggedPrediction;
  /** The true label (the latest sent for the id). */
  label: string;
  labelledAt: string;
}

export interface FeedbackJoin {
  /** Logged predictions of the window. */
  predictions: number;
  /** Those with a label, in log order. */
  labelled: LabelledPrediction[];
  /** Labels of the window's ids that match no logged prediction (not sampled, or unknown ids). */
  unmatched: number;
}

/**
 * Pairs the logged predictions of `model` in a window with the labels sent for them (feedback is
 * filed by the prediction's time, so the window's hours hold all of it, whenever it came).
 */
export async function joinFeedback(store: ArtifactStore, model: string, w: TimeWindow, o?: ReadLogOptions): Promise<FeedbackJoin> {
  const labels = await feedbackInWindow(store, w);
  const labelled: LabelledPrediction[] = [];
  const matched = new Set<string>();
  let predictions = 0;
  for await (const rows of readPredictionLog(store, model, w, o)) {
    predictions += rows.length;
    for (const prediction of rows) {
      const f = labels.get(prediction.id);
      // An id logged twice (a retried async chunk rewrites its part, but be safe) is paired once.
      if (!f || matched.has(prediction.id)) continue;
      matched.add(prediction.id);
      labelled.push({ prediction, label: f.label, labelledAt: f.receivedAt });
    }
  }
  return { predictions, labelled, unmatched: labels.size - matched.size };
}
