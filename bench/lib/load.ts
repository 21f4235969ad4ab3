import autocannon from 'autocannon';

export interface LoadResult {
  requestsPerSecond: number;
  p50: number;
  p90: number;
  p99: number;
  /** Connection errors, timeouts and non-2xx answers. */
  errors: number;
  requests: number;
}

const quantile = (sorted: Float64Array, q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

/**
 * Loads one endpoint with autocannon for `seconds` at `connections` (keep-alive) and returns
 * req/s and latency quantiles in ms at microsecond resolution (autocannon's own histogram keeps
 * whole milliseconds only).
 */
export interface LoadOptions {
  url: string;
  body: string;
  headers?: Record<string, string>;
  connections: number;
  seconds: number;
}

export async function loadWithAutocannon(o: LoadOptions): Promise<LoadResult> {
  const times: number[] = [];
  const opts = { url: o.url, method: 'POST' as const, body: o.body, headers: { 'content-type': 'application/json', ...o.headers }, connections: o.connections, duration: o.seconds, timeout: 10 };
  const r = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)));
    instance.on('response', (_client, status, _bytes, ms) => {
      if (status >= 200 && status < 300) times.push(ms);
    });
  });
  const sorted = Float64Array.from(times).sort();
  return {
    requestsPerSecond: r.requests.total / o.seconds,
    p50: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    p99: quantile(sorted, 0.99),
    errors: r.errors + r.timeouts + r.non2xx,
    requests: r.requests.total,
  };
}
