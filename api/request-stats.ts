import type { Registry } from 'prom-client';

const BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5];

interface RouteStats {
  labels: { method: string; route: string };
  /** Requests by status. */
  statuses: Map<string, number>;
  /** Observations per bucket (not cumulative); the last slot is +Inf. */
  buckets: Float64Array;
  sum: number;
  count: number;
}

/**
 * Request counts and a latency histogram by method and route pattern, kept in plain arrays on the
 * request path (no label hashing per request) and rendered for prom-client only when scraped.
 * Exposes `tm_http_requests_total` and `tm_http_request_duration_seconds`.
 */
export class RequestStats {
  private readonly routes = new Map<string, RouteStats>();

  record(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${route}`;
    let r = this.routes.get(key);
    if (!r) this.routes.set(key, (r = { labels: { method, route }, statuses: new Map(), buckets: new Float64Array(BUCKETS.length + 1), sum: 0, count: 0 }));
    const s = String(status);
    r.statuses.set(s, (r.statuses.get(s) ?? 0) + 1);
    let b = 0;
    while (b < BUCKETS.length && seconds > BUCKETS[b]) b++;
    r.buckets[b]++;
    r.sum += seconds;
    r.count++;
  }

  /** Adds both metrics to a prom-client registry (objects in the shape its text renderer reads). */
  register(registry: Registry): void {
    const routes = () => [...this.routes.values()];
    registry.registerMetric({
      name: 'tm_http_requests_total',
      get: () => ({
        name: 'tm_http_requests_total',
        help: 'HTTP requests by route and status',
        type: 'counter',
        values: routes().flatMap((r) => [...r.statuses].map(([status, value]) => ({ labels: { ...r.labels, status }, value }))),
      }),
    } as never);
    registry.registerMetric({
      name: 'tm_http_request_duration_seconds',
      get: () => ({
        name: 'tm_http_request_duration_seconds',
        help: 'HTTP request latency by route',
        type: 'histogram',
        values: routes().flatMap((r) => {
          let cumulative = 0;
          const buckets = [...BUCKETS, '+Inf'].map((le, i) => {
            cumulative += r.buckets[i];
            return { metricName: 'tm_http_request_duration_seconds_bucket', labels: { le, ...r.labels }, value: cumulative };
          });
          return [
            ...buckets,
            { metricName: 'tm_http_request_duration_seconds_sum', labels: r.labels, value: r.sum },
            { metricName: 'tm_http_request_duration_seconds_count', labels: r.labels, value: r.count },
          ];
        }),
      }),
    } as never);
  }
}
