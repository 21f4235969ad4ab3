/**
 * Scoring thread: holds the models the main thread sends it and scores CSV chunks or frames with
 * them, so long scoring (KNN, MLP, big chunks) never holds the main thread's event loop.
 */
import { parentPort } from 'node:worker_threads';
import { parseDatasetSchema } from '../../schema/index.js';
import { Pipeline } from '../models/pipeline.js';
import type { ServedModel } from '../registry/served-model.js';
import { scoreCsvChunk } from './score-chunk.js';
import type { ModelMessage, ScoringReply, ScoringRequest, ScoringResult, ThrownError } from './scoring-messages.js';

const models = new Map<number, Promise<ServedModel>>();

async function load(m: ModelMessage): Promise<ServedModel> {
  const schema = parseDatasetSchema(JSON.stringify(m.schema), `${m.name} v${m.version} schema`);
  return { name: m.name, version: m.version, schema, pipeline: await Pipeline.fromJSON(JSON.parse(m.pipeline)) };
}

async function run(m: Extract<ScoringRequest, { seq: number }>): Promise<ScoringResult> {
  const served = await models.get(m.model);
  if (!served) throw new Error(`scoring thread: model ${m.model} was never sent`);
  const t0 = performance.now();
  if (m.type === 'chunk') {
    const chunk = scoreCsvChunk(served, m.header, m.bytes, m.firstRow, m.maxErrors);
    return { type: 'chunk', chunk, ms: performance.now() - t0 };
  }
  const out = served.pipeline.predictProba(m.frame);
  const ms = performance.now() - t0;
  // Sent by transfer: a view on a shared or bigger buffer is copied into its own first.
  const own = out.buffer instanceof ArrayBuffer && out.byteOffset === 0 && out.byteLength === out.buffer.byteLength;
  return { type: 'proba', proba: own ? out : out.slice(), ms };
}

const thrown = (err: unknown): ThrownError => {
  const e = err as Error & { rule?: string; column?: string; line?: number };
  return { name: e?.name ?? 'Error', message: e?.message ?? String(err), rule: e?.rule, column: e?.column, line: e?.line };
};

parentPort!.on('message', (m: ScoringRequest) => {
  if (m.type === 'load') {
    const model = load(m.served);
    model.catch(() => undefined); // reported to the request that uses it
    models.set(m.model, model);
  } else if (m.type === 'drop') {
    models.delete(m.model);
  } else {
    run(m).then(
      (result) => {
        const reply: ScoringReply = { seq: m.seq, ok: true, result };
        parentPort!.postMessage(reply, result.type === 'proba' ? [result.proba.buffer as ArrayBuffer] : []);
      },
      (err: unknown) => parentPort!.postMessage({ seq: m.seq, ok: false, error: thrown(err) } satisfies ScoringReply),
    );
  }
});
