import { randomBytes } from 'node:crypto';
import { logParts, type LoggedPrediction } from '../../core/monitoring/prediction-log-format.js';
import type { ArtifactStore } from '../../core/ports/artifact-store.js';

export type { LoggedPrediction };

export interface PredictionLogOptions {
  /** Share of predictions kept, 0..1. Default 0.1. */
  sampleRate?: number;
  /** At most this many kept per second (per process), so the log's cost stays bounded under load. Default 1,000. */
  maxPerSecond?: number;
  /** Flush when this many are buffered. Default 1,000. */
  maxBuffered?: number;
  /** Flush at least this often. Default 10 s. */
  flushMs?: number;
  /** Kept at most while the store is unreachable; older ones are dropped. Default 50,000. */
  maxPending?: number;
  onError?: (err: unknown) => void;
  random?: () => number;
  now?: () => number;
}

/**
 * Sampled prediction log for drift monitoring: requests only push into an in-memory buffer (never
 * awaited, never throwing); a timer (or a full buffer) writes NDJSON parts per model and hour
 * (layout: core/monitoring/prediction-log-format), off the request's path.
 */
export class PredictionLog {
  private buffer: LoggedPrediction[] = [];
  private timer: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private seq = 0;
  /** This log's name in part keys: unique across processes without a host name in the keys. */
  private readonly writer = `api-${randomBytes(4).toString('hex')}`;
  /** Start (ms) of the current one-second window, and how many were seen and kept in it. */
  private windowStart = -Infinity;
  private seenInWindow = 0;
  private keptInWindow = 0;
  /** This window's sampling rate: the configured one, lowered when the last window's traffic would exceed maxPerSecond. */
  private rate: number;
  private readonly o: Required<Omit<PredictionLogOptions, 'onError'>> & Pick<PredictionLogOptions, 'onError'>;

  constructor(
    private readonly store: ArtifactStore,
    opts: PredictionLogOptions = {},
  ) {
    this.o = { sampleRate: 0.1, maxPerSecond: 1_000, maxBuffered: 1_000, flushMs: 10_000, maxPending: 50_000, random: Math.random, now: Date.now, ...opts };
    this.rate = this.o.sampleRate;
    this.timer = setInterval(() => void this.flush(), this.o.flushMs);
    this.timer.unref();
  }

  /**
   * Keeps a sample of `count` predictions; cheap and synchronous. `entry(i)` builds the i-th
   * only when it is sampled, so unsampled requests allocate nothing. Under load the rate drops so
   * that about `maxPerSecond` are kept a second, spread over the second (set from the last
   * second's traffic); a sudden burst stops being sampled once `maxPerSecond` are kept.
   */
  record(count: number, entry: (i: number) => LoggedPrediction): void {
    if (this.o.sampleRate <= 0) return;
    const now = this.o.now();
    if (now - this.windowStart >= 1000) {
      // Predictions a second in the window that ends (none when it was followed by a quiet second).
      const elapsed = now - this.windowStart;
      const perSecond = elapsed < 2000 ? (this.seenInWindow * 1000) / elapsed : 0;
      this.rate = perSecond ? Math.min(this.o.sampleRate, this.o.maxPerSecond / perSecond) : this.o.sampleRate;
      this.windowStart = now;
      this.seenInWindow = 0;
      this.keptInWindow = 0;
    }
    this.seenInWindow += count;
    for (let i = 0; i < count && this.keptInWindow < this.o.maxPerSecond; i++) {
      if (this.o.random() < this.rate) {
        this.buffer.push(entry(i));
        this.keptInWindow++;
      }
    }
    if (this.buffer.length > this.o.maxPending) this.buffer.splice(0, this.buffer.length - this.o.maxPending);
    if (this.buffer.length >= this.o.maxBuffered) void this.flush();
  }

  /** Writes what is buffered, one part per model and hour; failures keep the rows for the next try. */
  flush(): Promise<void> {
    this.flushing ??= (async () => {
      const rows = this.buffer;
      this.buffer = [];
      for (const part of logParts(rows, `${this.writer}-${this.seq++}`)) {
        try {
          await this.store.put(part.key, part.body);
        } catch (err) {
          this.buffer = part.rows.concat(this.buffer);
          this.o.onError?.(err);
        }
      }
    })().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
