import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Recorded {
  method: string;
  path: string;
  authorization?: string;
  body: unknown;
}

interface Run {
  experimentId: string;
  name: string;
  tags: Record<string, string>;
  params: Record<string, string>;
  metrics: { key: string; value: number; step: number }[];
  status: string;
}

/**
 * An HTTP server speaking the MLflow REST API 2.0 as its docs define it (status codes, error bodies,
 * log-batch limits, write-once params, proxied artifacts, registry with aliases). It records every
 * request so tests can check what the client sent. `registry: false` answers 404 like servers
 * without a model registry.
 */
export async function startFakeMlflow(opts: { registry?: boolean; failFirst?: number; artifactRoot?: string } = {}) {
  const requests: Recorded[] = [];
  const experiments = new Map<string, string>();
  const runs = new Map<string, Run>();
  const artifacts = new Map<string, Buffer>();
  const models = new Map<string, { versions: { version: string; source: string; runId: string }[]; aliases: Record<string, string> }>();
  let failures = opts.failFirst ?? 0;
  let ids = 0;

  const read = (req: IncomingMessage) =>
    new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve(Buffer.concat(chunks)));
    });

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url!, 'http://x');
    const raw = await read(req);
    const isArtifact = url.pathname.startsWith('/api/2.0/mlflow-artifacts/artifacts/');
    const body = !isArtifact && raw.length ? JSON.parse(raw.toString()) : raw.length ? `${raw.length} bytes` : undefined;
    requests.push({ method: req.method!, path: url.pathname + url.search, authorization: req.headers.authorization, body });
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    const error = (status: number, error_code: string, message: string) => send(status, { error_code, message });
    if (failures > 0) {
      failures--;
      return error(503, 'TEMPORARILY_UNAVAILABLE', 'try again');
    }
    if (isArtifact) {
      artifacts.set(decodeURIComponent(url.pathname.slice('/api/2.0/mlflow-artifacts/artifacts/'.length)), raw);
      return send(200, {});
    }
    const path = url.pathname.replace('/api/2.0/mlflow/', '');
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a fake server's JSON bodies, read field by field
    const b = body as Record<string, any>;
    switch (`${req.method} ${path}`) {
      case 'GET experiments/get-by-name': {
        const id = experiments.get(url.searchParams.get('experiment_name') ?? '');
        return id ? send(200, { experiment: { experiment_id: id } }) : error(404, 'RESOURCE_DOES_NOT_EXIST', 'no such experiment');
      }
      case 'POST experiments/create': {
        if (experiments.has(b.name)) return error(400, 'RESOURCE_ALREADY_EXISTS', 'exists');
        experiments.set(b.name, String(++ids));
        return send(200, { experiment_id: experiments.get(b.name) });
      }
      case 'POST runs/create': {
        const runId = `r${++ids}`;
        runs.set(runId, { experimentId: b.experiment_id, name: b.run_name, tags: Object.fromEntries((b.tags ?? []).map((t: { key: string; value: string }) => [t.key, t.value])), params: {}, metrics: [], status: 'RUNNING' });
        return send(200, { run: { info: { run_id: runId, experiment_id: b.experiment_id, artifact_uri: `${opts.artifactRoot ?? 'mlflow-artifacts:'}/${b.experiment_id}/${runId}/artifacts` } } });
      }
      case 'POST runs/log-batch': {
        const run = runs.get(b.run_id);
        if (!run) return error(404, 'RESOURCE_DOES_NOT_EXIST', 'no such run');
        if ((b.metrics ?? []).length > 1000 || (b.params ?? []).length > 100 || (b.tags ?? []).length > 100) return error(400, 'INVALID_PARAMETER_VALUE', 'batch too large');
        for (const p of b.params ?? []) {
          if (p.key in run.params && run.params[p.key] !== p.value) return error(400, 'INVALID_PARAMETER_VALUE', `param ${p.key} already logged with another value`);
          run.params[p.key] = p.value;
        }
        for (const t of b.tags ?? []) run.tags[t.key] = t.value;
        run.metrics.push(...(b.metrics ?? []));
        return send(200, {});
      }
      case 'POST runs/update': {
        const run = runs.get(b.run_id);
        if (!run) return error(404, 'RESOURCE_DOES_NOT_EXIST', 'no such run');
        run.status = b.status;
        return send(200, { run_info: { run_id: b.run_id, status: b.status } });
      }
    }
    if (opts.registry === false) return error(404, 'ENDPOINT_NOT_FOUND', 'no registry here');
    switch (`${req.method} ${path}`) {
      case 'GET registered-models/search':
        return send(200, { registered_models: [] });
      case 'POST registered-models/create':
        if (models.has(b.name)) return error(400, 'RESOURCE_ALREADY_EXISTS', 'exists');
        models.set(b.name, { versions: [], aliases: {} });
        return send(200, { registered_model: { name: b.name } });
      case 'POST model-versions/create': {
        const m = models.get(b.name)!;
        const version = String(m.versions.length + 1);
        m.versions.push({ version, source: b.source, runId: b.run_id });
        return send(200, { model_version: { name: b.name, version, status: 'PENDING_REGISTRATION' } });
      }
      case 'GET model-versions/get':
        return send(200, { model_version: { name: url.searchParams.get('name'), version: url.searchParams.get('version'), status: 'READY' } });
      case 'POST registered-models/alias':
        models.get(b.name)!.aliases[b.alias] = b.version;
        return send(200, {});
    }
    return error(404, 'ENDPOINT_NOT_FOUND', `${req.method} ${path}`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { uri: `http://127.0.0.1:${port}`, requests, experiments, runs, artifacts, models, stop: () => new Promise<void>((r) => server.close(() => r())) };
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
