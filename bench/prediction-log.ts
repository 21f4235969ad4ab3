/**
 * npm run bench:prediction-log [-- --rows 100000] [--labels 10000] [--store local|s3]
 *
 * What a monitor window costs to read: writes `--rows` logged predictions of the phishing model
 * (30 features as sent, both class probabilities, verdict) as the API's log does (parts of 1,000
 * rows, one writer flush each, over one hour), and labels for `--labels` of them, into a local
 * artifact store; then times reading the hour back with readWindow and pairing it with the labels
 * (joinFeedback), and looking the labelled ids up as POST /v1/feedback does (findLogged, 1,000 ids).
 * Goal (issue 15): a 100k-row window read in <= 5 s on 2 cores.
 *
 * Then the log's cost on serving, in CPU time (steadier than req/s on a shared machine; bench:api
 * -- --prediction-log both measures req/s): the API in this process (decision tree), `--requests`
 * single predictions and 100-row synchronous batches through app.fetch with the log off and on
 * (TM_PREDICTION_SAMPLE_RATE 0.1, its flushes included), in turns, CPU microseconds per request.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildApp } from '../api/app.js';
import { ModelHolder } from '../api/serving/model-holder.js';
import { PredictionLog } from '../api/serving/prediction-log.js';
import { LocalArtifactStore } from '../core/adapters/local-artifact-store.js';
import { trainPhishing } from '../test/helpers/served.js';
import { joinFeedback } from '../core/monitoring/feedback-join.js';
import { storeFeedback } from '../core/monitoring/feedback-store.js';
import { findLogged } from '../core/monitoring/logged-ids.js';
import { idAt, newIdRange } from '../core/monitoring/prediction-id.js';
import { logParts, type LoggedPrediction } from '../core/monitoring/prediction-log-format.js';
import { readWindow } from '../core/monitoring/prediction-log-reader.js';
import { fmt, int, table } from './lib/table.js';

const { values: args } = parseArgs({ options: { rows: { type: 'string', default: '100000' }, labels: { type: 'string', default: '10000' }, requests: { type: 'string', default: '20000' } } });
const n = Number(args.rows);
const nLabels = Math.min(n, Number(args.labels));
const dir = await mkdtemp(join(tmpdir(), 'tm-bench-plog-'));
const store = new LocalArtifactStore(dir);
const repo = new URL('..', import.meta.url).pathname;
const [head, ...lines] = (await readFile(join(repo, 'data/phishing.csv'), 'utf8')).replaceAll('"', '').trim().split(/\r?\n/);
const names = head.split(',').slice(0, 30);
const start = Date.parse('2026-11-30T10:00:00.000Z');
const step = 3_600_000 / n;

try {
  let t = performance.now();
  const ids: string[] = [];
  for (let i = 0; i < n; i += 1_000) {
    const rows: LoggedPrediction[] = [];
    for (let j = i; j < Math.min(n, i + 1_000); j++) {
      const ms = Math.floor(start + j * step);
      const cells = lines[j % lines.length].split(',');
      const p = (j * 7919) % 1000 / 1000;
      const id = idAt(newIdRange(ms), 0);
      ids.push(id);
      rows.push({ id, at: new Date(ms).toISOString(), model: 'phishing', version: 1, source: 'predict', features: Object.fromEntries(names.map((f, k) => [f, Number(cells[k])])), label: p > 0.5 ? '-1' : '1', threat: p > 0.5, probabilities: { '-1': p, '1': 1 - p } });
    }
    for (const part of logParts(rows, `bench-${i}`)) await store.put(part.key, part.body);
  }
  const labelled = Array.from({ length: nLabels }, (_, i) => ({ predictionId: ids[Math.floor((i * n) / nLabels)], label: i % 3 ? '1' : '-1' }));
  for (let i = 0; i < labelled.length; i += 20_000) await storeFeedback(store, labelled.slice(i, i + 20_000));
  const writeMs = performance.now() - t;
  const window = { fromMs: start, toMs: start + 3_600_000 };

  t = performance.now();
  const rows = await readWindow(store, 'phishing', window);
  const readMs = performance.now() - t;
  t = performance.now();
  const joined = await joinFeedback(store, 'phishing', window);
  const joinMs = performance.now() - t;
  const some = labelled.slice(0, 1_000).map((l) => l.predictionId);
  t = performance.now();
  const found = await findLogged(store, 'phishing', some);
  const findMs = performance.now() - t;
  if (rows.length !== n || joined.labelled.length !== nLabels || found.found.size !== some.length) throw new Error(`read ${rows.length}/${n}, joined ${joined.labelled.length}/${nLabels}, found ${found.found.size}/${some.length}`);

  console.log(`bench:prediction-log, ${int(n)} logged rows (parts of 1,000 over one hour), ${int(nLabels)} labels, local store, ${os.cpus().length} cores, Node ${process.version}`);
  console.log(
    table(
      ['step', 'ms', 'rows/s', 'goal'],
      [
        ['write (setup)', fmt(writeMs, 0), int((n * 1000) / writeMs), '-'],
        ['readWindow (one hour)', fmt(readMs, 0), int((n * 1000) / readMs), readMs <= 5_000 ? 'met (<= 5 s)' : 'MISSED (<= 5 s)'],
        ['joinFeedback (window + labels)', fmt(joinMs, 0), int((n * 1000) / joinMs), joinMs <= 5_000 ? 'met (<= 5 s)' : 'MISSED (<= 5 s)'],
        ['findLogged (1,000 ids)', fmt(findMs, 0), '-', '-'],
      ],
    ),
  );

  // The log's cost on serving: CPU per request, log off and on, in turns.
  const registry = await trainPhishing(store, 'bench-log-cost');
  const models = new ModelHolder('phishing', registry, store);
  await models.refresh();
  const record = (l: string) => Object.fromEntries(names.map((f, k) => [f, Number(l.split(',')[k])]));
  const bodies = { 'predict': JSON.stringify({ features: record(lines[0]) }), 'batch of 100': JSON.stringify({ rows: lines.slice(0, 100).map(record) }) };
  const paths = { 'predict': '/v1/predict', 'batch of 100': '/v1/predict/batch' };
  const requests = Number(args.requests);
  const cpu: Record<string, number[]> = {};
  for (let round = 0; round < 3; round++) {
    for (const mode of round % 2 ? ['on', 'off'] : ['off', 'on']) {
      const log = new PredictionLog(store, { sampleRate: mode === 'on' ? 0.1 : 0 });
      const app = buildApp({ models, registry, predictionLog: log, redisOk: async () => true });
      for (const [run, body] of Object.entries(bodies)) {
        const count = run === 'predict' ? requests : Math.ceil(requests / 20);
        const send = () => app.fetch(new Request(`http://bench${paths[run as keyof typeof paths]}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }));
        for (let i = 0; i < 200; i++) await (await send()).text(); // warm-up
        const c0 = process.cpuUsage();
        for (let i = 0; i < count; i++) await (await send()).text();
        await log.flush();
        const used = process.cpuUsage(c0);
        (cpu[`${run}|${mode}`] ??= []).push((used.user + used.system) / count);
      }
      await log.close();
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  console.log(`\nthe log's cost on serving: CPU us per request through app.fetch (in process, decision tree), medians of 3 rounds; ${int(requests)} single, ${int(Math.ceil(requests / 20))} batches`);
  console.log(
    table(
      ['run', 'log off us', 'log on (0.1) us', 'on / off', 'within 10 %'],
      Object.keys(bodies).map((run) => {
        const [off, on] = [median(cpu[`${run}|off`]), median(cpu[`${run}|on`])];
        return [run, fmt(off, 1), fmt(on, 1), `${fmt((100 * on) / off, 1)}%`, on <= 1.1 * off ? 'yes' : 'no'];
      }),
    ),
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
