/**
 * npm run bench:batch [-- --rows 1000000] [--explain k] [--out file.json]
 *
 * End to end time of one async batch as `npm start` runs it (API and predict worker in one
 * process, local artifact store, Redis from REDIS_URL): streamed CSV upload, chunk jobs, then the
 * streamed results download, on a production gradient-boosting model trained here first. With
 * `--explain k` the batch adds each row's top k contributions (`?explain=k`); the longest wait
 * between two progress changes of its status is reported too.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import pino from 'pino';
import { BatchClient } from '../api/cli/batch-client.js';
import { startApi } from '../api/start-api.js';
import { LocalArtifactStore } from '../core/adapters/local-artifact-store.js';
import { loadConfig } from '../schema/index.js';
import { dropPrefix } from '../test/helpers/redis.js';
import { trainPhishing } from '../test/helpers/served.js';
import { runWorkers } from '../workers/run-workers.js';
import { phishingRows, streamOf } from './lib/batch-input.js';
import { int } from './lib/table.js';

const { values: args } = parseArgs({ options: { rows: { type: 'string', default: '1000000' }, explain: { type: 'string' }, out: { type: 'string' } } });
const rows = Number(args.rows);
const dir = await mkdtemp(join(tmpdir(), 'tm-bench-batch-'));
const config = loadConfig({ ...process.env, TM_ARTIFACTS: join(dir, 'artifacts'), TM_QUEUE_PREFIX: `tmbench${process.pid}`, PORT: '0', HOST: '127.0.0.1', TM_API_KEYS_ADMIN: 'bench', LOG_LEVEL: 'warn' });
const log = pino({ level: 'warn' });
process.stderr.write('training a gradient-boosting model to serve...\n');
await trainPhishing(new LocalArtifactStore(config.TM_ARTIFACTS), 'bench-batch', ['gradient_boosting']);
const workers = await runWorkers(config, log, { queues: ['predict'] });
const api = await startApi(config, log);
const client = new BatchClient(api.url, 'bench');

const t0 = performance.now();
const accepted = await client.submitCsv(streamOf(phishingRows(rows)), { explain: args.explain });
const t1 = performance.now();
let progress = -1;
let movedAt = t1;
let stall = 0;
const status = await client.wait(
  accepted.batchId,
  (s) => {
    const now = performance.now();
    stall = Math.max(stall, now - movedAt);
    if (s.progress !== progress) [progress, movedAt] = [s.progress, now];
  },
  100,
);
const t2 = performance.now();
let lines = 0;
let bytes = 0;
for await (const part of await client.results(accepted.batchId)) {
  bytes += part.length;
  for (let i = 0; i < part.length; i++) if (part[i] === 10) lines++;
}
const t3 = performance.now();
if (status.state !== 'completed' || lines !== rows + 1) throw new Error(`batch ${status.state} with ${lines - 1} result rows of ${rows}`);

const s = (a: number, b: number) => (b - a) / 1000;
const total = s(t0, t3);
const figures = {
  rows,
  model: `phishing v${accepted.modelVersion} (gradient_boosting)`,
  chunks: accepted.chunks,
  explain: args.explain === undefined ? null : Number(args.explain),
  chunkRowsPerSecond: rows / s(t1, t2),
  longestProgressStallSeconds: stall / 1000,
  uploadSeconds: s(t0, t1),
  scoreSeconds: s(t1, t2),
  downloadSeconds: s(t2, t3),
  totalSeconds: total,
  rowsPerMinute: (rows / total) * 60,
  resultMiB: bytes / 2 ** 20,
  cores: os.cpus().length,
  date: new Date().toISOString(),
};
console.log(`async batch of ${int(rows)} rows, ${accepted.chunks} chunks, ${figures.model}, ${figures.cores} cores`);
console.log(`  upload + store  ${figures.uploadSeconds.toFixed(2)} s`);
console.log(`  chunk jobs      ${figures.scoreSeconds.toFixed(2)} s = ${int(figures.chunkRowsPerSecond)} rows/s${args.explain ? ` with the top ${args.explain} contributions` : ''}; progress stalled at most ${figures.longestProgressStallSeconds.toFixed(1)} s`);
console.log(`  results         ${figures.downloadSeconds.toFixed(2)} s (${figures.resultMiB.toFixed(1)} MiB)`);
console.log(`  end to end      ${total.toFixed(2)} s = ${int(figures.rowsPerMinute)} rows/min (goal >= 1,000,000)`);
if (args.out) await writeFile(args.out, `${JSON.stringify(figures, null, 2)}\n`);

await api.close();
await workers.close();
const redis = new Redis(config.REDIS_URL);
await dropPrefix(redis, config.TM_QUEUE_PREFIX);
redis.disconnect();
await rm(dir, { recursive: true, force: true });
