import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type { Config, FeedbackAnswer } from '../../schema/index.js';
import { apiTarget } from './api-target.js';

/** Rows per call: well under the route's row and byte limits (MAX_FEEDBACK_ROWS, the JSON limit). */
const ROWS_PER_CALL = 20_000;

/**
 * `threatmatrix feedback <labels.csv>`: sends true labels (a CSV with prediction_id and label
 * columns) to POST /v1/feedback, in calls of ROWS_PER_CALL rows read line by line, and prints what
 * the API matched. A refused call stops the command; the calls before it are stored (sending the
 * file again is safe: the latest label of an id counts).
 */
export async function feedbackCommand(argv: string[], config: Config): Promise<number> {
  const { values: a, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { url: { type: 'string' }, key: { type: 'string' } } });
  const [input] = positionals;
  if (!input) {
    process.stderr.write('usage: threatmatrix feedback <labels.csv> [--url http://host:port] [--key api-key]\n');
    return 2;
  }
  const target = apiTarget(config, a, 'predict');
  const key = target.key;
  const url = `${target.base}/v1/feedback`;
  const total = { received: 0, stored: 0, matched: 0, unmatched: 0, unchecked: 0 };
  let header: string | undefined;
  let piece: string[] = [];
  let firstRow = 1;

  const send = async (): Promise<boolean> => {
    if (!piece.length) return true;
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'text/csv', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: `${header}\n${piece.join('\n')}\n`,
    });
    const body = (await res.json()) as FeedbackAnswer & { error?: { message: string; details?: { row?: number; rule: string; message: string }[] } };
    if (!res.ok) {
      process.stderr.write(`refused (${res.status}) rows ${firstRow}-${firstRow + piece.length - 1}: ${body.error?.message ?? res.statusText}\n`);
      for (const d of body.error?.details?.slice(0, 5) ?? []) process.stderr.write(`  ${d.row === undefined ? '' : `row ${firstRow - 1 + d.row}: `}${d.rule}\n`);
      if (firstRow > 1) process.stderr.write(`rows 1-${firstRow - 1} were stored\n`);
      return false;
    }
    for (const k of Object.keys(total) as (keyof typeof total)[]) total[k] += body[k];
    firstRow += piece.length;
    piece = [];
    return true;
  };

  const lines = createInterface({ input: createReadStream(input), crlfDelay: Infinity });
  for await (const line of lines) {
    if (header === undefined) {
      header = line.replace(/^\uFEFF/, '');
      continue;
    }
    if (!line.trim()) continue;
    piece.push(line);
    if (piece.length >= ROWS_PER_CALL && !(await send())) return 1;
  }
  if (!(await send())) return 1;
  if (!total.received) {
    process.stderr.write(`${input}: no labels (a header with prediction_id,label, then one row per label)\n`);
    return 1;
  }
  process.stdout.write(`${input}: ${total.received} labels sent, ${total.stored} stored; ${total.matched} match logged predictions, ${total.unmatched} do not (not sampled, or unknown ids)${total.unchecked ? `, ${total.unchecked} not looked up` : ''}\n`);
  return 0;
}
