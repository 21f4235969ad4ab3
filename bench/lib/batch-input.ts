import { readFileSync } from 'node:fs';

/**
 * `rows` CSV records built from data/phishing.csv's feature columns, cycled, each led by a
 * `row_id` (1..rows) so the results' order can be checked. Yields ~1 MB buffers; holds no more.
 */
export function* phishingRows(rows: number): Generator<Buffer> {
  const [head, ...lines] = readFileSync(new URL('../../data/phishing.csv', import.meta.url), 'utf8').trim().split(/\r?\n/);
  const features = (l: string) => l.split(',').slice(0, 30).join(',');
  yield Buffer.from(`row_id,${features(head)}\n`);
  let part: string[] = [];
  for (let i = 1; i <= rows; i++) {
    part.push(`${i},${features(lines[(i - 1) % lines.length])}\n`);
    if (part.length === 10_000 || i === rows) {
      yield Buffer.from(part.join(''));
      part = [];
    }
  }
}

/** A generator as a web stream (a fetch request body). */
export function streamOf(chunks: Iterable<Uint8Array>): ReadableStream<Uint8Array> {
  const it = chunks[Symbol.iterator]();
  return new ReadableStream({
    pull(controller) {
      const next = it.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
  });
}
