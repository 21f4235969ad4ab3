import { proxiedArtifactUrl } from './artifact-uri.js';

/**
 * A small typed client for the MLflow REST API 2.0 (self-hosted MLflow, DagsHub). No maintained npm
 * client exists. Covers what threatmatrix needs: experiments, runs, batched logging, artifact
 * upload through mlflow-artifacts, and the model registry with aliases.
 */
export interface MlflowAuth {
  username?: string;
  password?: string;
  token?: string;
}

/** An MLflow error answer: `{ error_code, message }` with the HTTP status. */
export class MlflowError extends Error {
  override name = 'MlflowError';
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(`MLflow ${status} ${errorCode}: ${message}`);
  }
}

/** MLflow did not answer (timed out, refused): the client stops calling it for a while. */
export class MlflowUnavailableError extends Error {
  override name = 'MlflowUnavailableError';
}

export interface MlflowClientOptions {
  /** Retries of a refused connection or a 429/5xx answer, with backoff. Default 2. */
  retries?: number;
  /** A call (answer and body) that takes longer fails. Default 10,000 ms. */
  timeoutMs?: number;
  /** After a call timed out or never connected, calls fail at once for this long. Default 60,000 ms. */
  pauseMs?: number;
  fetch?: typeof fetch;
}

/** The API's per-call limits for runs/log-batch (service.proto): per kind, and 1,000 items in all. */
export const LOG_BATCH_LIMITS = { metrics: 1000, params: 100, tags: 100, total: 1000 };

export interface Metric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

/** A dataset as runs/log-inputs takes it (service.proto `Dataset`): schema and profile are JSON strings. */
export interface DatasetInfo {
  name: string;
  digest: string;
  sourceType: string;
  /** Where it came from, as a JSON string, never with credentials. */
  source: string;
  schema?: string;
  profile?: string;
}

/**
 * A metric value as protobuf's JSON mapping writes a double: NaN and the infinities are the strings
 * "NaN", "Infinity", "-Infinity" (JSON.stringify would send null, which MLflow refuses).
 */
export function metricValue(v: number): number | string {
  if (Number.isFinite(v)) return v;
  return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}

/**
 * Splits a batch into calls within the limits: at most 100 params, 100 tags and 1,000 items in all
 * per call, and at most `maxBytes` of JSON (MLflow takes up to 1 MB per request). Params and tags
 * go first, metrics fill the rest; every item once, in order.
 */
export function splitBatch<M, P, T>(metrics: M[], params: P[], tags: T[], limits = LOG_BATCH_LIMITS, maxBytes = 900_000): { metrics: M[]; params: P[]; tags: T[] }[] {
  const size = (item: unknown) => Buffer.byteLength(JSON.stringify(item)) + 1;
  const calls: { metrics: M[]; params: P[]; tags: T[] }[] = [];
  let [m, p, t] = [0, 0, 0];
  while (m < metrics.length || p < params.length || t < tags.length) {
    const call = { metrics: [] as M[], params: [] as P[], tags: [] as T[] };
    let bytes = 100;
    let items = 0;
    // Each call takes at least one item, so a single oversized item still goes (and MLflow judges it).
    const take = <X>(from: X[], at: number, into: X[], max: number): number => {
      while (at < from.length && into.length < max && items < limits.total && (items === 0 || bytes + size(from[at]) <= maxBytes)) {
        bytes += size(from[at]);
        into.push(from[at++]);
        items++;
      }
      return at;
    };
    p = take(params, p, call.params, limits.params);
    t = take(tags, t, call.tags, limits.tags);
    m = take(metrics, m, call.metrics, limits.metrics);
    calls.push(call);
  }
  return calls;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class MlflowClient {
  private readonly base: string;
  private readonly authHeader?: string;
  /** Until when calls fail at once: a silent server would cost every call its full timeout. */
  private downUntil = 0;

  constructor(
    trackingUri: string,
    auth: MlflowAuth = {},
    private readonly opts: MlflowClientOptions = {},
  ) {
    this.base = trackingUri.replace(/\/+$/, '');
    if (auth.username && auth.password) this.authHeader = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
    else if (auth.token) this.authHeader = `Bearer ${auth.token}`;
  }

  /**
   * One request with a timeout covering the answer and its body. A timeout pauses the client at
   * once (retrying a silent server only multiplies the wait); other network faults are retryable.
   */
  private async send(url: string, init: RequestInit): Promise<{ res: Response; text: string }> {
    if (Date.now() < this.downUntil) throw new MlflowUnavailableError(`MLflow at ${this.base} did not answer: not called again for ${Math.ceil((this.downUntil - Date.now()) / 1000)} s`);
    const timeoutMs = this.opts.timeoutMs ?? 10_000;
    try {
      const res = await (this.opts.fetch ?? fetch)(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
      return { res, text: await res.text() };
    } catch (err) {
      if ((err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError') {
        this.pause();
        throw new MlflowUnavailableError(`MLflow at ${this.base} did not answer within ${timeoutMs} ms`);
      }
      throw err;
    }
  }

  private pause(): void {
    this.downUntil = Date.now() + (this.opts.pauseMs ?? 60_000);
  }

  /** Calls an endpoint; retries refused connections and 429/5xx with backoff, never 4xx or a timeout. */
  private async call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const url = `${this.base}/api/2.0/mlflow/${path}`;
    const attempts = (this.opts.retries ?? 2) + 1;
    for (let i = 1; ; i++) {
      let res: Response;
      let text: string;
      try {
        ({ res, text } = await this.send(url, {
          method,
          headers: { 'content-type': 'application/json', ...(this.authHeader ? { authorization: this.authHeader } : {}) },
          body: body === undefined ? undefined : JSON.stringify(body),
        }));
      } catch (err) {
        if (err instanceof MlflowUnavailableError) throw err;
        if (i >= attempts) {
          this.pause();
          throw err;
        }
        await sleep(200 * 2 ** i);
        continue;
      }
      if (res.ok) return (text ? JSON.parse(text) : {}) as T;
      if ((res.status === 429 || res.status >= 500) && i < attempts) {
        await sleep(200 * 2 ** i);
        continue;
      }
      let code = 'HTTP_ERROR';
      let message = text.slice(0, 300);
      try {
        const e = JSON.parse(text) as { error_code?: string; message?: string };
        code = e.error_code ?? code;
        message = e.message ?? message;
      } catch {
        // not JSON
      }
      throw new MlflowError(res.status, code, message);
    }
  }

  async getOrCreateExperiment(name: string): Promise<string> {
    const get = async () => {
      try {
        const r = await this.call<{ experiment: { experiment_id: string } }>('GET', `experiments/get-by-name?experiment_name=${encodeURIComponent(name)}`);
        return r.experiment.experiment_id;
      } catch (err) {
        if (err instanceof MlflowError && err.errorCode === 'RESOURCE_DOES_NOT_EXIST') return undefined;
        throw err;
      }
    };
    const found = await get();
    if (found) return found;
    try {
      return (await this.call<{ experiment_id: string }>('POST', 'experiments/create', { name })).experiment_id;
    } catch (err) {
      // Another process created it first.
      if (err instanceof MlflowError && err.errorCode === 'RESOURCE_ALREADY_EXISTS') return (await get())!;
      throw err;
    }
  }

  async createRun(experimentId: string, runName: string, tags: Record<string, string> = {}): Promise<{ runId: string; artifactUri: string }> {
    const r = await this.call<{ run: { info: { run_id: string; artifact_uri: string } } }>('POST', 'runs/create', {
      experiment_id: experimentId,
      run_name: runName,
      start_time: Date.now(),
      tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
    });
    return { runId: r.run.info.run_id, artifactUri: r.run.info.artifact_uri };
  }

  /** The run's artifact URI and status (another process created the run). */
  async getRun(runId: string): Promise<{ artifactUri: string; status: string }> {
    const r = await this.call<{ run: { info: { artifact_uri: string; status: string } } }>('GET', `runs/get?run_id=${encodeURIComponent(runId)}`);
    return { artifactUri: r.run.info.artifact_uri, status: r.run.info.status };
  }

  /**
   * Logs in as many calls as the API's limits need (at most 1,000 items per call, of which at most
   * 100 params and 100 tags; values cut to 6,000 characters for params, 5,000 for tags).
   */
  async logBatch(runId: string, batch: { metrics?: Metric[]; params?: Record<string, string>; tags?: Record<string, string> }): Promise<number> {
    const metrics = (batch.metrics ?? []).map((m) => ({ key: m.key, value: metricValue(m.value), timestamp: m.timestamp, step: m.step }));
    const params = Object.entries(batch.params ?? {}).map(([key, value]) => ({ key, value: value.slice(0, 6000) }));
    const tags = Object.entries(batch.tags ?? {}).map(([key, value]) => ({ key, value: value.slice(0, 5000) }));
    const calls = splitBatch(metrics, params, tags);
    for (const c of calls) await this.call('POST', 'runs/log-batch', { run_id: runId, ...c });
    return calls.length;
  }

  /** Records the datasets a run used (runs/log-inputs), each with a `context` tag such as `training`. */
  async logInputs(runId: string, datasets: { dataset: DatasetInfo; context: string }[]): Promise<void> {
    await this.call('POST', 'runs/log-inputs', {
      run_id: runId,
      datasets: datasets.map(({ dataset: d, context }) => ({
        tags: [{ key: 'mlflow.data.context', value: context }],
        dataset: { name: d.name, digest: d.digest, source_type: d.sourceType, source: d.source, ...(d.schema ? { schema: d.schema } : {}), ...(d.profile ? { profile: d.profile } : {}) },
      })),
    });
  }

  async updateRun(runId: string, status: 'FINISHED' | 'FAILED' | 'KILLED'): Promise<void> {
    await this.call('POST', 'runs/update', { run_id: runId, status, end_time: Date.now() });
  }

  /**
   * Uploads a file into a run's artifacts when the server proxies them (`mlflow-artifacts:/...`);
   * returns false for other artifact locations (s3://..., which the caller writes directly).
   */
  async uploadArtifact(artifactUri: string, path: string, body: Uint8Array | string): Promise<boolean> {
    const url = proxiedArtifactUrl(this.base, artifactUri, path);
    if (!url) return false;
    const { res, text } = await this.send(url, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream', ...(this.authHeader ? { authorization: this.authHeader } : {}) },
      body: typeof body === 'string' ? body : Buffer.from(body),
    });
    if (!res.ok) throw new MlflowError(res.status, 'ARTIFACT_UPLOAD_FAILED', text.slice(0, 300));
    return true;
  }

  /** Whether the server has the model registry (some hosted servers do not). */
  async hasRegistry(): Promise<boolean> {
    try {
      await this.call('GET', 'registered-models/search?max_results=1');
      return true;
    } catch (err) {
      if (err instanceof MlflowError && (err.status === 404 || err.errorCode === 'ENDPOINT_NOT_FOUND')) return false;
      throw err;
    }
  }

  /**
   * Registers a version of `name` from a run's artifact (waiting until it is READY; a version that
   * fails or stays pending is an error) with tags, and points `alias` at it when given.
   */
  async registerVersion(name: string, source: string, runId: string, opts: { alias?: string; tags?: Record<string, string>; pollMs?: number; polls?: number } = {}): Promise<string> {
    try {
      await this.call('POST', 'registered-models/create', { name });
    } catch (err) {
      if (!(err instanceof MlflowError && err.errorCode === 'RESOURCE_ALREADY_EXISTS')) throw err;
    }
    const tags = Object.entries(opts.tags ?? {}).map(([key, value]) => ({ key, value }));
    const { model_version: mv } = await this.call<{ model_version: { version: string; status: string } }>('POST', 'model-versions/create', { name, source, run_id: runId, ...(tags.length ? { tags } : {}) });
    let status = mv.status;
    for (let i = 0; status === 'PENDING_REGISTRATION' && i < (opts.polls ?? 30); i++) {
      await sleep(i === 0 ? 50 : (opts.pollMs ?? 500));
      status = (await this.call<{ model_version: { status: string } }>('GET', `model-versions/get?name=${encodeURIComponent(name)}&version=${encodeURIComponent(mv.version)}`)).model_version.status;
    }
    if (status !== 'READY') throw new MlflowError(500, status === 'FAILED_REGISTRATION' ? 'FAILED_REGISTRATION' : 'REGISTRATION_PENDING', `${name} v${mv.version} from ${source}: ${status}`);
    if (opts.alias) await this.setAlias(name, opts.alias, mv.version);
    return mv.version;
  }

  /** Points a registered model's alias at one of its versions. */
  async setAlias(name: string, alias: string, version: string): Promise<void> {
    await this.call('POST', 'registered-models/alias', { name, alias, version });
  }

  async setRegisteredModelTag(name: string, key: string, value: string): Promise<void> {
    await this.call('POST', 'registered-models/set-tag', { name, key, value });
  }
}
