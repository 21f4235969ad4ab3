/** What GET /v1/batches/{id} answers (the fields clients use). */
export interface BatchStatus {
  state: 'queued' | 'running' | 'completed' | 'failed' | 'expired';
  progress: number;
  rows: number;
  counts: { scored: number; invalid: number };
  errors: { row: number; field?: string; rule: string; message: string }[];
  predicted?: Record<string, number>;
  /** Unseen categories scored anyway, per column. */
  unknown?: Record<string, number>;
  /** An explained batch's k, the output its contributions add up to, and the class explained (null: each row's prediction). */
  explain?: { top: number; output: 'margin' | 'probability'; class: string | null };
  failedReason?: string;
}

/** A refused call: the status and the API's error body. */
export class BatchRefused extends Error {
  override name = 'BatchRefused';
  constructor(
    readonly status: number,
    readonly error: { code: string; message: string; details?: unknown },
  ) {
    super(`${status} ${error.code}: ${error.message}${error.details ? ` ${JSON.stringify(error.details)}` : ''}`);
  }
}

/** A small client of the async batch routes (the predict command, tests and bench:batch use it). */
export class BatchClient {
  private readonly headers: Record<string, string>;
  constructor(
    private readonly base: string,
    key?: string,
  ) {
    this.headers = key ? { authorization: `Bearer ${key}` } : {};
  }

  private async json<T>(res: Response): Promise<T> {
    const body = (await res.json()) as T & { error?: { code: string; message: string } };
    if (!res.ok) throw new BatchRefused(res.status, body.error ?? { code: `http_${res.status}`, message: res.statusText });
    return body;
  }

  /** Uploads a CSV (streamed) and returns the accepted batch; `explain`: add each row's top k contributions as columns. */
  async submitCsv(body: ReadableStream<Uint8Array>, o: { explain?: number | string } = {}): Promise<{ batchId: string; rows: number; chunks: number; modelVersion: number }> {
    const init = { method: 'POST', headers: { ...this.headers, 'content-type': 'text/csv' }, body, duplex: 'half' };
    const query = o.explain === undefined ? '' : `?explain=${encodeURIComponent(String(o.explain))}`;
    return this.json(await fetch(`${this.base}/v1/batches${query}`, init as RequestInit));
  }

  status(batchId: string): Promise<BatchStatus> {
    return fetch(`${this.base}/v1/batches/${batchId}`, { headers: this.headers }).then((r) => this.json<BatchStatus>(r));
  }

  /** Polls until the batch is completed, failed or expired. */
  async wait(batchId: string, onProgress: (s: BatchStatus) => void = () => undefined, pollMs = 250): Promise<BatchStatus> {
    for (;;) {
      const s = await this.status(batchId);
      onProgress(s);
      if (s.state === 'completed' || s.state === 'failed' || s.state === 'expired') return s;
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  /** The results CSV as a stream. */
  async results(batchId: string): Promise<ReadableStream<Uint8Array>> {
    const res = await fetch(`${this.base}/v1/batches/${batchId}/results`, { headers: this.headers });
    if (!res.ok || !res.body) await this.json(res);
    return res.body!;
  }
}
