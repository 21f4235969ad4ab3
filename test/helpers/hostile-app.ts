import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Queue } from 'bullmq';
import { pino } from 'pino';
import { buildApp } from '../../api/app.js';
import type { TrainingControl } from '../../api/routes/training-runs.js';
import { ModelHolder } from '../../api/serving/model-holder.js';
import { LocalArtifactStore } from '../../core/adapters/local-artifact-store.js';
import type { ModelRegistry } from '../../core/ports/model-registry.js';
import { STAGES, type StageName } from '../../schema/jobs.js';
import { BatchProducer } from '../../workers/batches.js';
import { sourceFromArg } from '../../schema/source-arg.js';
import { RunProducer } from '../../workers/flow.js';
import { QUEUE_OF, redisConnection } from '../../workers/queues.js';
import { cancelRun } from '../../workers/run-control.js';
import { phishingSchema } from './datasets.js';
import { dropPrefix, REDIS_URL, testPrefix } from './redis.js';
import { listen, trainPhishing } from './served.js';

export const PREDICT_KEY = 'hostile-predict-key';
export const ADMIN_KEY = 'hostile-admin-key';

/**
 * The API as a hostile user meets it: a served phishing model, training and batch routes on the
 * real Redis (no workers: what is accepted stays queued, and can be counted), a data root with one
 * CSV, a pino log captured line by line. `redisUrl` points the producers elsewhere (a dead port).
 */
export async function startHostileApp(o: { name: string; redisUrl?: string; registry?: (r: ModelRegistry) => ModelRegistry; maxJsonBytes?: number }) {
  const dir = await mkdtemp(join(tmpdir(), `tm-${o.name}-`));
  const store = new LocalArtifactStore(join(dir, 'artifacts'));
  const trained = await trainPhishing(store, `${o.name}-run`);
  const registry = o.registry ? o.registry(trained) : trained;
  const models = new ModelHolder('phishing', registry, store);
  await models.refresh();
  const root = join(dir, 'data');
  await mkdir(root);
  await writeFile(join(root, 'ok.csv'), 'a,b\n1,2\n');
  const prefix = testPrefix(o.name);
  const conn = redisConnection(o.redisUrl ?? REDIS_URL, 'producer');
  conn.on('error', () => undefined);
  const producer = new RunProducer(conn, prefix);
  const batches = new BatchProducer(conn, prefix);
  const queues = Object.fromEntries(STAGES.map((s) => [s, new Queue(QUEUE_OF[s], { connection: conn, prefix })])) as Record<StageName, Queue>;
  const lines: Record<string, unknown>[] = [];
  const log = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
        done();
      },
    }),
  );
  const schema = JSON.parse(JSON.stringify(phishingSchema())) as Record<string, unknown>;
  const training: TrainingControl = {
    enqueue: (run) => producer.enqueue(run),
    cancel: (id) => cancelRun(conn, prefix, store, id, { settleMs: 0 }),
    queues,
    store,
    defaults: { modelName: 'phishing', source: { kind: 'csv', path: join(root, 'ok.csv') }, schema },
    source: sourceFromArg,
    dataRoots: [root],
  };
  const app = buildApp({
    models,
    registry,
    log,
    redisOk: async () => true,
    maxJsonBytes: o.maxJsonBytes,
    keys: { predict: [PREDICT_KEY], admin: [ADMIN_KEY] },
    training,
    batches: { store, maxUploadBytes: 4 * 1024 * 1024, enqueue: (id, chunks) => batches.enqueue(id, chunks), status: (id) => batches.status(id), queue: batches.predictQueue },
  });
  const http = await listen(app.fetch);
  /** Jobs accepted into the queues so far. */
  const queued = async () => {
    let n = 0;
    for (const q of [...Object.values(queues), batches.predictQueue]) n += Object.values(await q.getJobCounts()).reduce((a, b) => a + b, 0);
    return n;
  };
  return {
    ...http,
    dir,
    root,
    log: lines,
    queued,
    async close() {
      await http.close();
      await Promise.all(Object.values(queues).map((q) => q.close()));
      await producer.close();
      await batches.close();
      if (!o.redisUrl) await dropPrefix(conn, prefix);
      conn.disconnect();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
