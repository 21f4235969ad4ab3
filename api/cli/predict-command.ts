import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { parseArgs } from 'node:util';
import type { Config } from '../../schema/index.js';
import { progressBar } from '../../workers/cli/progress-bar.js';
import { apiTarget } from './api-target.js';
import { BatchClient, BatchRefused } from './batch-client.js';

/** One progress line: redrawn in place on a TTY, else printed at every 10% step. */
function progressLine(label: string, out: NodeJS.WriteStream = process.stderr) {
  let shown = -1;
  return (fraction: number, note = '') => {
    const percent = Math.floor(fraction * 100);
    if (out.isTTY) out.write(`\r\x1b[2K${label.padEnd(8)} ${progressBar(percent)} ${String(percent).padStart(3)}% ${note}${percent >= 100 ? '\n' : ''}`);
    else if (Math.floor(percent / 10) !== shown) out.write(`${label} ${percent}% ${note}\n`);
    shown = Math.floor(percent / 10);
  };
}

/**
 * `threatmatrix predict <in.csv> -o <out.csv> [--explain k]`: scores a CSV through the running
 * API's async batches (streamed upload, chunk jobs, streamed results), with progress bars; with
 * `--explain k` each row also gets its k largest contributions (the explain_* columns).
 */
export async function predictCommand(argv: string[], config: Config): Promise<number> {
  const { values: a, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { output: { type: 'string', short: 'o' }, url: { type: 'string' }, key: { type: 'string' }, explain: { type: 'string' } },
  });
  const [input] = positionals;
  if (!input || !a.output) {
    process.stderr.write('usage: threatmatrix predict <in.csv> -o <out.csv> [--explain k] [--url http://host:port] [--key api-key]\n');
    return 2;
  }
  if (a.explain !== undefined && !/^[1-9]\d{0,5}$/.test(a.explain)) {
    process.stderr.write(`--explain must be a whole number k >= 1 (the k largest contributions per row), not ${JSON.stringify(a.explain)}\n`);
    return 2;
  }
  const { base, key } = apiTarget(config, a, 'predict');
  const client = new BatchClient(base, key);
  try {
    const size = (await stat(input)).size;
    const upload = progressLine('upload');
    let sent = 0;
    const file = createReadStream(input).on('data', (chunk) => upload((sent += chunk.length) / size, `${(sent / 2 ** 20).toFixed(1)} MiB`));
    // The API checks k (400 naming explain; 422 for a model that is not explained).
    const accepted = await client.submitCsv(Readable.toWeb(file) as ReadableStream<Uint8Array>, { explain: a.explain });
    const score = progressLine('score');
    const status = await client.wait(accepted.batchId, (s) => score(s.progress, `${accepted.rows} rows`));
    if (status.state !== 'completed') {
      process.stderr.write(`batch ${accepted.batchId} ${status.state}: ${status.failedReason ?? ''}\n`);
      return 1;
    }
    await pipeline(Readable.fromWeb((await client.results(accepted.batchId)) as NodeReadableStream), createWriteStream(a.output));
    const predicted = Object.entries(status.predicted ?? {}).map(([c, n]) => `${c}: ${n}`).join(', ');
    process.stdout.write(`${a.output}: ${status.rows} rows, ${status.counts.scored} scored (${predicted}), ${status.counts.invalid} invalid\n`);
    for (const e of status.errors.slice(0, 5)) process.stdout.write(`  row ${e.row}: ${e.field ?? ''} ${e.rule}\n`);
    const unseen = Object.entries(status.unknown ?? {}).map(([column, n]) => `${column}: ${n}`);
    if (unseen.length) process.stdout.write(`  unseen categories scored (unknown: ignore | other): ${unseen.join(', ')}\n`);
    const e = status.explain;
    if (e) process.stdout.write(`  explained: the ${e.top} largest contributions to ${e.class === null ? "each row's predicted class" : `class ${e.class}`}'s ${e.output === 'margin' ? 'margin (log-odds)' : 'probability'}, before calibration (explain_* columns)\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof BatchRefused)) throw err;
    process.stderr.write(`\nrefused: ${err.message}\n`);
    return 1;
  }
}
