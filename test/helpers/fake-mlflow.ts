import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkMessage, MLFLOW_REQUESTS, queryAsBody } from './mlflow-proto.js';

export interface Recorded {
  method: string;
  path: string;
  authorization?: string;
  body: unknown;
}

interface Run {
  experimentId: string;
  name: string;
  artifactUri: string;
  tags: Record<string, string>;
  params: Record<string, string>;
  metrics: { key: string; value: number | string; step: number }[];
  datasets: { tags?: { key: string; value: string }[]; dataset: Record<string, string> }[];
  status: string;
}

interface Version {
  version: string;
  source: string;
  runId: string;
  status: 'READY' | 'FAILED_REGISTRATION';
  /** Where `source` points in the artifact store (for `runs:/` sources: under the run's artifact URI). */
  resolved?: string;
  tags: Record<string, string>;
}

/** The path inside the proxied artifact store of an `mlflow-artifacts:` URI (with or without host). */
const proxiedPath = (uri: string) => (uri.startsWith('mlflow-artifacts:') ? new URL(uri).pathname.replace(/^\/+/, '') : undefined);

/**
 * An HTTP server speaking the MLflow REST API 2.0 as its protos and docs define it. Every request
 * body (or query string) is checked against the endpoint's request message (mlflow-proto.ts):
 * unknown or missing required fields and wrong types are refused with 400 INVALID_PARAMETER_VALUE
 * like MLflow; so are log-batch calls over the limits (1000 items, 100 params, 100 tags). Params are
 * write-once, artifacts are proxied (`mlflow-artifacts:`), and a model version whose `runs:/<id>/...`
 * source has no MLmodel under the run's own artifact URI fails registration. Every request is
 * recorded. `registry: false` answers 404 like servers without a model registry; `failOn` lists
 * endpoints (`POST model-versions/create`) that answer 500.
 */
export async function startFakeMlflow(opts: { registry?: boolean; failFirst?: number; artifactRoot?: string | ((port: number) => string); failOn?: string[] } = {}) {
  const requests: Recorded[] = [];
  const rejected: { endpoint: string; problems: string[] }[] = [];
  const experiments = new Map<string, string>();
  const runs = new Map<string, Run>();
  const artifacts = new Map<string, Buffer>();
  const models = new Map<string, { versions: Version[]; aliases: Record<string, string>; tags: Record<string, string> }>();
  let failures = opts.failFirst ?? 0;
  let ids = 0;

  const read = (req: IncomingMessage) =>
    new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve(Buffer.concat(chunks)));
    });

  const resolveSource = (source: string): string | undefined => {
    const m = /^runs:\/([^/]+)\/?(.*)$/.exec(source);
    if (!m) return source;
    const run = runs.get(m[1]);
    return run ? `${run.artifactUri.replace(/\/+$/, '')}/${m[2]}` : undefined;
  };

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url!, 'http://x');
    const raw = await read(req);
    const isArtifact = url.pathname.startsWith('/api/2.0/mlflow-artifacts/artifacts/');
    let body: unknown;
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    const error = (status: number, error_code: string, message: string) => send(status, { error_code, message });
    try {
      body = !isArtifact && raw.length ? JSON.parse(raw.toString()) : raw.length ? `${raw.length} bytes` : undefined;
    } catch {
      requests.push({ method: req.method!, path: url.pathname + url.search, authorization: req.headers.authorization, body: raw.toString() });
      return error(400, 'MALFORMED_REQUEST', 'the body is not JSON');
    }
    requests.push({ method: req.method!, path: url.pathname + url.search, authorization: req.headers.authorization, body });
    if (failures > 0) {
      failures--;
      return error(503, 'TEMPORARILY_UNAVAILABLE', 'try again');
    }
    if (isArtifact) {
      if (req.method !== 'PUT') return error(404, 'ENDPOINT_NOT_FOUND', `${req.method} artifacts`);
      artifacts.set(decodeURIComponent(url.pathname.slice('/api/2.0/mlflow-artifacts/artifacts/'.length)), raw);
      return send(200, {});
    }
    const path = url.pathname.replace('/api/2.0/mlflow/', '');
    const endpoint = `${req.method} ${path}`;
    const message = MLFLOW_REQUESTS[endpoint];
    if (!message || (opts.registry === false && /^(registered-models|model-versions)\//.test(path))) return error(404, 'ENDPOINT_NOT_FOUND', endpoint);
    const given = req.method === 'GET' ? queryAsBody(message, url.searchParams) : (body ?? {});
    const problems = typeof given === 'string' ? [given] : checkMessage(message, given);
    if (problems.length) {
      rejected.push({ endpoint, problems });
      return error(400, 'INVALID_PARAMETER_VALUE', problems.join('; '));
    }
    if (opts.failOn?.includes(endpoint)) return error(500, 'INTERNAL_ERROR', `${endpoint} failed`);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a request checked against its message above, read field by field
    const b = given as Record<string, any>;
    switch (endpoint) {
      case 'GET experiments/get-by-name': {
        const id = experiments.get(b.experiment_name);
        return id ? send(200, { experiment: { experiment_id: id, name: b.experiment_name } }) : error(404, 'RESOURCE_DOES_NOT_EXIST', 'no such experiment');
      }
      case 'POST experiments/create': {
        if (experiments.has(b.name)) return error(400, 'RESOURCE_ALREADY_EXISTS', 'exists');
        experiments.set(b.name, String(++ids));
        return send(200, { experiment_id: experiments.get(b.name) });
      }
      case 'POST runs/create': {
        const runId = `r${++ids}`;
        const root = typeof opts.artifactRoot === 'function' ? opts.artifactRoot(port) : (opts.artifactRoot ?? 'mlflow-artifacts:');
        const artifactUri = `${root}/${b.experiment_id}/${runId}/artifacts`;
        runs.set(runId, { experimentId: b.experiment_id, name: b.run_name, artifactUri, tags: Object.fromEntries((b.tags ?? []).map((t: { key: string; value: string }) => [t.key, t.value])), params: {}, metrics: [], datasets: [], status: 'RUNNING' });
        return send(200, { run: { info: { run_id: runId, experiment_id: b.experiment_id, artifact_uri: artifactUri, status: 'RUNNING' } } });
      }
      case 'GET runs/get': {
        const run = runs.get(b.run_id);
        if (!run) return error(404, 'RESOURCE_DOES_NOT_EXIST', 'no such run');
        return send(200, { run: { info: { run_id: b.run_id, experiment_id: run.experimentId, artifact_uri: run.artifactUri, status: run.status } } });
      }
      case 'POST runs/log-batch': {
        const run = runs.get(b.run_id);
        if (!run) return error(404, 'RESOURCE_DOES_NOT_EXIST', 'no such run');
        const [m, p, t] = [(b.metrics ?? []).length, (b.params ?? []).length, (b.tags ?? []).length];
        if (m > 1000 || p > 100 || t > 100 || m + p + t > 1000) return error(400, 'INVALID_PARAMETER_VALUE', `batch too large: ${m} metrics, ${p} params, ${t} tags`);
        for (const param of b.params ?? []) {
          if (param.key in run.params && run.params[param.key] !== param.value) return error(400, 'INVALID_PARAMETER_VALUE', `param ${param.key} already logged with another value`);
          run.params[param.key] = param.value;
        }
        for (const tag of b.tags ?? []) run.tags[tag.key] = tag.value;
        run.metrics = run.metrics.concat(b.metrics ?? []);
        return send(200, {});
      }
      case 'POST runs/log-inputs': {
        const run = runs.get(b.run_id);
        if (!run) return error(404, 'RESOURCE_DOES_NOT_EXIST', 'no such run');
        run.datasets.push(...(b.datasets ?? []));
        return send(200, {});
      }
      case 'POST runs/update': {
        const run = runs.get(b.run_id);
        if (!run) return error(404, 'RESOURCE_DOES_NOT_EXIST', 'no such run');
        if (b.status) run.status = b.status;
        return send(200, { run_info: { run_id: b.run_id, status: run.status } });
      }
      case 'GET registered-models/search':
        return send(200, { registered_models: [] });
      case 'POST registered-models/create':
        if (models.has(b.name)) return error(400, 'RESOURCE_ALREADY_EXISTS', 'exists');
        models.set(b.name, { versions: [], aliases: {}, tags: {} });
        return send(200, { registered_model: { name: b.name } });
      case 'POST registered-models/set-tag': {
        const m = models.get(b.name);
        if (!m) return error(404, 'RESOURCE_DOES_NOT_EXIST', `no model ${b.name}`);
        m.tags[b.key] = b.value;
        return send(200, {});
      }
      case 'POST model-versions/create': {
        const m = models.get(b.name);
        if (!m) return error(404, 'RESOURCE_DOES_NOT_EXIST', `no model ${b.name}`);
        const version = String(m.versions.length + 1);
        const resolved = resolveSource(b.source);
        const inStore = resolved === undefined ? undefined : proxiedPath(resolved);
        // A proxied source must hold an MLflow Model; other stores (s3://) are not visible here.
        const ok = resolved !== undefined && (inStore === undefined || artifacts.has(`${inStore.replace(/\/+$/, '')}/MLmodel`));
        m.versions.push({ version, source: b.source, runId: b.run_id, status: ok ? 'READY' : 'FAILED_REGISTRATION', resolved, tags: Object.fromEntries((b.tags ?? []).map((t: { key: string; value: string }) => [t.key, t.value])) });
        return send(200, { model_version: { name: b.name, version, source: b.source, run_id: b.run_id, status: 'PENDING_REGISTRATION' } });
      }
      case 'GET model-versions/get': {
        const v = models.get(b.name)?.versions.find((x) => x.version === b.version);
        if (!v) return error(404, 'RESOURCE_DOES_NOT_EXIST', `no version ${b.version} of ${b.name}`);
        return send(200, { model_version: { name: b.name, version: v.version, source: v.source, run_id: v.runId, status: v.status } });
      }
      case 'POST model-versions/set-tag': {
        const v = models.get(b.name)?.versions.find((x) => x.version === b.version);
        if (!v) return error(404, 'RESOURCE_DOES_NOT_EXIST', `no version ${b.version} of ${b.name}`);
        v.tags[b.key] = b.value;
        return send(200, {});
      }
      case 'POST registered-models/alias': {
        const m = models.get(b.name);
        if (!m?.versions.some((v) => v.version === b.version)) return error(404, 'RESOURCE_DOES_NOT_EXIST', `no version ${b.version} of ${b.name}`);
        m.aliases[b.alias] = b.version;
        return send(200, {});
      }
    }
    return error(404, 'ENDPOINT_NOT_FOUND', endpoint);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { uri: `http://127.0.0.1:${port}`, port, requests, rejected, experiments, runs, artifacts, models, resolveSource, stop: () => new Promise<void>((r) => server.close(() => r())) };
}

/**
 * A server that accepts connections and reads requests but never answers (a hung MLflow behind a
 * proxy). Counts the requests it swallowed; `stop` drops the open sockets.
 */
export async function startSilentServer() {
  let requests = 0;
  const server: Server = createServer(() => {
    requests++;
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    uri: `http://127.0.0.1:${port}`,
    requests: () => requests,
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** What a successful, registered training run leaves under its MLflow artifact URI. */
export const REGISTERED_RUN_ARTIFACTS = [
  'evaluate/metrics.json',
  'evaluate/operating-point.json',
  'explain/importance.json',
  'model/MLmodel',
  'model/input_example.json',
  'model/model.json',
  'validate/drift.json',
  'validate/report.json',
];
