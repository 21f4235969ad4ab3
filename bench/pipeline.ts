/**
 * npm run bench:pipeline [-- --out file.json]
 *
 * Wall time of one full training run through the queues on data/phishing.csv (all six families,
 * full grids): from enqueue to a registered model, with the stage workers in this process and
 * train-family jobs sandboxed, one per core. Printed beside scikit-learn's grid-search total.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { QueueEvents } from 'bullmq';
import { parse as parseYaml } from 'yaml';
import { readFileSync } from 'node:fs';
import { loadConfig } from '../schema/index.js';
import { RunProducer } from '../workers/flow.js';
import { QUEUE_OF, redisConnection } from '../workers/queues.js';
import { startStageWorkers } from '../workers/stage-workers.js';
import { stageDepsFrom } from '../workers/wiring.js';
import { loadSklearnBaseline } from './lib/sklearn-baseline.js';
import { fmt } from './lib/table.js';

const { values: args } = parseArgs({ options: { out: { type: 'string' } } });
const dir = await mkdtemp(join(tmpdir(), 'tm-bench-pipeline-'));
// Sandboxed processes build their adapters from the environment: point it at this run's scratch.
process.env.TM_ARTIFACTS = join(dir, 'artifacts');
process.env.TM_QUEUE_PREFIX = `tmbench${process.pid}`;
const config = loadConfig();
const workerConn = redisConnection(config.REDIS_URL, 'worker');
const producerConn = redisConnection(config.REDIS_URL, 'producer');
await producerConn.connect();
const workers = startStageWorkers({ connection: workerConn, prefix: config.TM_QUEUE_PREFIX, deps: stageDepsFrom(config), sandbox: true });
const eventsConn = redisConnection(config.REDIS_URL, 'worker');
const events = new QueueEvents(QUEUE_OF.register, { connection: eventsConn, prefix: config.TM_QUEUE_PREFIX });
await events.waitUntilReady();
const producer = new RunProducer(producerConn, config.TM_QUEUE_PREFIX);

const schemaText = readFileSync(new URL('../schema/phishing.yaml', import.meta.url), 'utf8');
const started = performance.now();
const node = await producer.enqueue({
  runId: `bench-${Date.now()}`,
  modelName: 'phishing',
  source: { kind: 'csv', path: new URL('../data/phishing.csv', import.meta.url).pathname },
  schema: parseYaml(schemaText) as Record<string, unknown>,
});
const result = await node.job.waitUntilFinished(events, 600_000);
const seconds = (performance.now() - started) / 1000;

const sk = loadSklearnBaseline().models;
const classic = ['LogisticRegression', 'DecisionTree', 'SVC', 'KNN', 'RandomForest', 'AdaBoost', 'GradientBoosting'];
const skSeconds = sk.filter((m) => classic.includes(m.name)).reduce((s, m) => s + (m.searchSeconds ?? 0), 0);
console.log(`enqueue -> registered model: ${fmt(seconds, 1)} s (threatmatrix, 6 families, full grids, ${os.cpus().length} cores)`);
console.log(`scikit-learn grid searches summed: ${fmt(skSeconds, 1)} s (7 classic families), goal <= 30 s`);
console.log(`registered v${result.version} ${result.best} f1 ${fmt(result.metrics.f1)} (${result.promoted ? 'production' : 'candidate'})`);
if (args.out) await writeFile(args.out, `${JSON.stringify({ seconds, sklearnSeconds: skSeconds, result, date: new Date().toISOString() }, null, 2)}\n`);

await workers.close(10_000);
await events.close();
eventsConn.disconnect();
await producer.close();
let cursor = '0';
do {
  const [next, keys] = await workerConn.scan(cursor, 'MATCH', `${config.TM_QUEUE_PREFIX}:*`, 'COUNT', 500);
  cursor = next;
  if (keys.length) await workerConn.del(...keys);
} while (cursor !== '0');
workerConn.disconnect();
producerConn.disconnect();
await rm(dir, { recursive: true, force: true });
