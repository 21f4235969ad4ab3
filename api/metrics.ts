import type { Context } from 'hono';
import { routePath } from 'hono/route';
import type { Queue } from 'bullmq';
import { Counter, Gauge, Registry } from 'prom-client';
import { RequestStats } from './request-stats.js';

/**
 * A prom-client counter whose counts live in a plain map on the request path (no label hashing per
 * call) and are handed to prom-client only when scraped.
 */
class PlainCounter<L extends string> {
  private readonly counts = new Map<string, { labels: Record<L, string>; n: number }>();

  constructor(registry: Registry, name: string, help: string, labelNames: L[]) {
    const counts = this.counts;
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const { labels, n } of counts.values()) this.inc(labels, n);
      },
    });
  }

  /** Adds `n` under `labels`; `key` identifies the label values (built by the caller, cheaply). */
  add(key: string, labels: () => Record<L, string>, n: number): void {
    const entry = this.counts.get(key);
    if (entry) entry.n += n;
    else this.counts.set(key, { labels: labels(), n });
  }
}

/** Prometheus metrics of one API process (prom-client), on its own registry. */
export class ApiMetrics {
  readonly registry = new Registry();
  private readonly requests = new RequestStats();
  private readonly predicted = new PlainCounter(this.registry, 'tm_predictions_total', 'Predictions by model, version and class', ['model', 'version', 'label']);
  private readonly unknown = new PlainCounter(
    this.registry,
    'tm_unknown_categories_total',
    "Category values outside a column's list that this process scored anyway (unknown: ignore | other), by model, version and column",
    ['model', 'version', 'column'],
  );

  constructor() {
    this.requests.register(this.registry);
  }

  /** Reports each queue's job counts (waiting, active, delayed, failed...) at every scrape. */
  watchQueues(queues: Queue[]): void {
    new Gauge({
      name: 'tm_queue_jobs',
      help: 'Jobs per queue and state',
      labelNames: ['queue', 'state'],
      registers: [this.registry],
      async collect() {
        for (const q of queues) {
          const counts = await q.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'waiting-children', 'prioritized');
          for (const [state, n] of Object.entries(counts)) this.set({ queue: q.name, state }, n);
        }
      },
    });
  }

  /** Counts and times a finished request under its route pattern (not the raw path, to bound label values). */
  observe(c: Context, startedMs: number): void {
    this.requests.record(c.req.method, routePath(c, -1), c.res.status, (performance.now() - startedMs) / 1000);
  }

  /** Adds unseen categories scored for one model version, per column. */
  countUnknown(model: string, version: number, counts: Record<string, number>): void {
    for (const column in counts) this.unknown.add(`${model} ${version} ${column}`, () => ({ model, version: String(version), column }), counts[column]);
  }

  /** Adds `counts[k]` predictions of `classes[k]` for one model version. */
  countPredictions(model: string, version: number, classes: string[], counts: number[]): void {
    for (let k = 0; k < classes.length; k++) {
      if (counts[k]) this.predicted.add(`${model} ${version} ${classes[k]}`, () => ({ model, version: String(version), label: classes[k] }), counts[k]);
    }
  }
}
