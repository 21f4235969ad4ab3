import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { LoadOptions, LoadResult } from './load.js';

/** Whether wrk (Debian package `wrk`) is on the PATH. */
export const hasWrk = () => spawnSync('wrk', ['--version']).error === undefined;

// wrk's Lua hooks: POST the body file with the headers, then print one JSON line of results.
const script = (bodyFile: string, headers: Record<string, string>) => `
local f = assert(io.open(${JSON.stringify(bodyFile)}, "rb")); wrk.body = f:read("*a"); f:close()
wrk.method = "POST"
${Object.entries(headers)
  .map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`)
  .join('\n')}
done = function(s, latency, requests)
  local e = s.errors
  io.write(string.format('{"requests":%d,"us":%d,"p50":%f,"p90":%f,"p99":%f,"errors":%d}\\n', s.requests, s.duration,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.timeout + e.status))
end
`;

/**
 * Loads one endpoint with wrk (two threads, keep-alive, as the baselines were measured) for
 * `seconds` at `connections`; latency quantiles in ms from wrk's microsecond histogram. Non-2xx
 * answers count as errors.
 */
export async function loadWithWrk(o: LoadOptions): Promise<LoadResult> {
  const dir = await mkdtemp(join(tmpdir(), 'tm-wrk-'));
  try {
    await writeFile(join(dir, 'body'), o.body);
    await writeFile(join(dir, 'post.lua'), script(join(dir, 'body'), { 'content-type': 'application/json', ...o.headers }));
    const threads = String(Math.min(2, o.connections));
    const { stdout } = await promisify(execFile)('wrk', ['-t', threads, '-c', String(o.connections), '-d', `${o.seconds}s`, '--timeout', '10s', '-s', join(dir, 'post.lua'), o.url]);
    const r = JSON.parse(stdout.trim().split('\n').at(-1)!) as { requests: number; us: number; p50: number; p90: number; p99: number; errors: number };
    return { requestsPerSecond: r.requests / (r.us / 1e6), p50: r.p50, p90: r.p90, p99: r.p99, errors: r.errors, requests: r.requests };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
