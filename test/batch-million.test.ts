import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchClient } from '../api/cli/batch-client.js';
import { LocalArtifactStore } from '../core/adapters/local-artifact-store.js';
import { phishingRows, streamOf } from '../bench/lib/batch-input.js';
import { testPrefix } from './helpers/redis.js';
import { startBatchApi, trainPhishing } from './helpers/served.js';

const ROWS = 1_000_000;

describe('an async batch of a million rows', () => {
  const prefix = testPrefix('million');
  let dir: string;
  let http: Awaited<ReturnType<typeof startBatchApi>>;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-million-'));
    const store = new LocalArtifactStore(dir);
    http = await startBatchApi(store, await trainPhishing(store, 'million-run'), { prefix, key: 'k' });
  });
  afterAll(async () => {
    await http?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('completes, and its results hold every row once, in input order, with a verdict', { timeout: 180_000 }, async () => {
    const client = new BatchClient(http.base, 'k');
    const accepted = await client.submitCsv(streamOf(phishingRows(ROWS)));
    expect(accepted).toMatchObject({ rows: ROWS, chunks: 20 });
    const status = await client.wait(accepted.batchId);
    expect(status).toMatchObject({ state: 'completed', rows: ROWS, counts: { scored: ROWS, invalid: 0 } });

    let expected = 0; // header first, then row_id 1..ROWS
    let tail = '';
    let bad = 0;
    const check = (line: string) => {
      if (expected === 0) expect(line.startsWith('row_id,having_IP_Address,')).toBe(true);
      else {
        const cells = line.split(',');
        // row_id and 30 features, then prediction_id, prediction, probability, p_-1, p_1, threat, score, error.
        if (cells.length !== 39 || !['true', 'false'].includes(cells[36]) || Number(cells[0]) !== expected || cells[31].length !== 36 || !['-1', '1'].includes(cells[32])) bad++;
      }
      expected++;
    };
    for await (const text of (await client.results(accepted.batchId)).pipeThrough(new TextDecoderStream())) {
      const lines = (tail + text).split('\n');
      tail = lines.pop()!;
      lines.forEach(check);
    }
    expect(tail).toBe('');
    expect(bad).toBe(0);
    expect(expected - 1).toBe(ROWS);
  });
});
