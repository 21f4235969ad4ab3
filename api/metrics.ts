import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { Queue } from 'bullmq';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of one API process (prom-client), on its own registry. */
export class ApiMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({ name: 'tm_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['method', 'route', 'status'], registers: [this.registry] });
  private readonly latency = new Histogram({
    name: 'tm_http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['method', 'route'],
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    registers: [this.registry],
  });
  private readonly predictions = new Counter({ name: 'tm_predictions_total', help: 'Predictions by model, version and class', labelNames: ['model', 'version', 'label'], registers: [this.registry] });

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

  /** Counts and times every request under its route pattern (not the raw path, to bound label values). */
  middleware(): MiddlewareHandler {
    return async (c, next) => {
      const end = this.latency.startTimer();
      try {
        await next();
      } finally {
        const route = routePath(c, -1);
        end({ method: c.req.method, route });
        this.requests.inc({ method: c.req.method, route, status: String(c.res.status) });
      }
    };
  }

  countPredictions(model: string, version: number, labels: string[]): void {
    const counts = new Map<string, number>();
    for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
    for (const [label, n] of counts) this.predictions.inc({ model, version: String(version), label }, n);
  }
}
