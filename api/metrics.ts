import type { Context } from 'hono';
import { routePath } from 'hono/route';
import type { Queue } from 'bullmq';
import { Counter, Gauge, Registry } from 'prom-client';
import { RequestStats } from './request-stats.js';

/** Prometheus metrics of one API process (prom-client), on its own registry. */
export class ApiMetrics {
  readonly registry = new Registry();
  private readonly requests = new RequestStats();
  /** Predictions by model, version and class: plain counts on the request path, handed to prom-client when scraped. */
  private readonly predicted = new Map<string, { labels: { model: string; version: string; label: string }; n: number }>();

  constructor() {
    this.requests.register(this.registry);
    const predicted = this.predicted;
    new Counter({
      name: 'tm_predictions_total',
      help: 'Predictions by model, version and class',
      labelNames: ['model', 'version', 'label'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const { labels, n } of predicted.values()) this.inc(labels, n);
      },
    });
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

  /** Adds `counts[k]` predictions of `classes[k]` for one model version. */
  countPredictions(model: string, version: number, classes: string[], counts: number[]): void {
    for (let k = 0; k < classes.length; k++) {
      if (!counts[k]) continue;
      const key = `${model} ${version} ${classes[k]}`;
      const entry = this.predicted.get(key);
      if (entry) entry.n += counts[k];
      else this.predicted.set(key, { labels: { model, version: String(version), label: classes[k] }, n: counts[k] });
    }
  }
}
