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

/** The API's per-call limits for runs/log-batch. */
export const LOG_BATCH_LIMITS = { metrics: 1000, params: 100, tags: 100 };

export interface Metric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
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
  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
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

  /** Logs in as many calls as the API's limits need (1000 metrics, 100 params, 100 tags, ~1 MB each). */
  async logBatch(runId: string, batch: { metrics?: Metric[]; params?: Record<string, string>; tags?: Record<string, string> }): Promise<number> {
    const metrics = batch.metrics ?? [];
    const params = Object.entries(batch.params ?? {}).map(([key, value]) => ({ key, value: value.slice(0, 6000) }));
    const tags = Object.entries(batch.tags ?? {}).map(([key, value]) => ({ key, value }));
    let calls = 0;
    for (let i = 0; i * LOG_BATCH_LIMITS.metrics < metrics.length || i * LOG_BATCH_LIMITS.params < params.length || i * LOG_BATCH_LIMITS.tags < tags.length; i++) {
      await this.call('POST', 'runs/log-batch', {
        run_id: runId,
        metrics: metrics.slice(i * LOG_BATCH_LIMITS.metrics, (i + 1) * LOG_BATCH_LIMITS.metrics),
        params: params.slice(i * LOG_BATCH_LIMITS.params, (i + 1) * LOG_BATCH_LIMITS.params),
        tags: tags.slice(i * LOG_BATCH_LIMITS.tags, (i + 1) * LOG_BATCH_LIMITS.tags),
      });
      calls++;
    }
    return calls;
  }

  async updateRun(runId: string, status: 'FINISHED' | 'FAILED' | 'KILLED'): Promise<void> {
    await this.call('POST', 'runs/update', { run_id: runId, status, end_time: Date.now() });
  }

  /**
   * Uploads a file into a run's artifacts when the server proxies them (`mlflow-artifacts:/...`);
   * returns false for other artifact locations (s3://..., which the caller writes directly).
   */
  async uploadArtifact(artifactUri: string, path: string, body: Uint8Array | string): Promise<boolean> {
    if (!artifactUri.startsWith('mlflow-artifacts:')) return false;
    const root = artifactUri.replace(/^mlflow-artifacts:\/*/, '');
    const url = `${this.base}/api/2.0/mlflow-artifacts/artifacts/${[root, path].filter(Boolean).map((p) => p.split('/').map(encodeURIComponent).join('/')).join('/')}`;
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

  /** Registers a version of `name` from a run's artifact and points `alias` at it when given. */
  async registerVersion(name: string, source: string, runId: string, alias?: string): Promise<string> {
    try {
      await this.call('POST', 'registered-models/create', { name });
    } catch (err) {
      if (!(err instanceof MlflowError && err.errorCode === 'RESOURCE_ALREADY_EXISTS')) throw err;
    }
    const { model_version: mv } = await this.call<{ model_version: { version: string; status: string } }>('POST', 'model-versions/create', { name, source, run_id: runId });
    for (let i = 0, status = mv.status; status !== 'READY' && i < 30; i++) {
      if (status === 'FAILED_REGISTRATION') throw new MlflowError(500, 'FAILED_REGISTRATION', `${name} v${mv.version}`);
      await sleep(500);
      status = (await this.call<{ model_version: { status: string } }>('GET', `model-versions/get?name=${encodeURIComponent(name)}&version=${mv.version}`)).model_version.status;
    }
    if (alias) await this.call('POST', 'registered-models/alias', { name, alias, version: mv.version });
    return mv.version;
  }
}
