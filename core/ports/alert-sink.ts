/** One alert raised by the monitor for a served model's window. */
export interface Alert {
  /** Stable per model, window and rule: a receiver can drop repeats of a retried delivery. */
  id: string;
  model: string;
  modelVersion: number;
  windowId: string;
  /** The rules that fired, each with its measured value and limit. */
  rules: { rule: string; value: number; limit: number; message: string }[];
  at: string;
}

/** Where alerts go (a webhook, a log); a failed delivery throws after its retries. */
export interface AlertSink {
  readonly kind: string;
  send(alert: Alert): Promise<void>;
}
