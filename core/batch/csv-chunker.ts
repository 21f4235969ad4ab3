import { parse } from 'csv-parse/sync';
import { DataError } from '../errors.js';

/** Whole CSV records cut from an upload: the bytes of `rows` records, each ending in '\n'. */
export interface CsvChunk {
  index: number;
  /** 1-based data row of the chunk's first record (the header is not a row). */
  firstRow: number;
  rows: number;
  bytes: Uint8Array;
}

export interface ChunkCsvOptions {
  /** Records per chunk. Default 50,000. */
  rowsPerChunk?: number;
  /** Upload size limit in bytes; past it `UploadTooLarge` is thrown. Default 1 GiB. */
  maxBytes?: number;
  /** Checks the header before any chunk is emitted (throw to refuse the upload). */
  onHeader?: (header: string[]) => void | Promise<void>;
}

export interface ChunkedCsv {
  header: string[];
  rows: number;
  chunks: number;
  bytes: number;
}

/** The upload passed its size limit. */
export class UploadTooLarge extends Error {
  override name = 'UploadTooLarge';
  constructor(readonly limit: number) {
    super(`the upload is over ${limit} bytes`);
  }
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

/**
 * Cuts a CSV byte stream into chunks of whole records without holding more than one chunk:
 * newlines inside quoted fields stay inside their record, empty lines are dropped, and every
 * record must have as many fields as the header (else a `DataError` naming the row). `onChunk`
 * is awaited before reading on, so a slow store slows the upload instead of filling memory.
 */
export async function chunkCsv(
  source: AsyncIterable<Uint8Array>,
  onChunk: (chunk: CsvChunk) => Promise<void>,
  opts: ChunkCsvOptions = {},
): Promise<ChunkedCsv> {
  const rowsPerChunk = opts.rowsPerChunk ?? 50_000;
  const maxBytes = opts.maxBytes ?? 2 ** 30;
  let header: string[] | undefined;
  let width = 0;
  let bytes = 0;
  let rows = 0;
  let chunks = 0;
  let parts: Uint8Array[] = [];
  let partRows = 0;
  let pending: Uint8Array[] = []; // the record still being read, across buffers
  let inQuotes = false;
  let fields = 1;
  let empty = true; // no byte but CR seen in this record yet

  const flush = async () => {
    if (!partRows) return;
    const chunk = { index: chunks++, firstRow: rows - partRows + 1, rows: partRows, bytes: Buffer.concat(parts) };
    parts = [];
    partRows = 0;
    await onChunk(chunk);
  };
  // Synchronous but for the header check and a full chunk: awaiting every record would cost a
  // microtask per row (most of the chunker's time on a million rows).
  const endRecord = (record: Uint8Array): Promise<void> | undefined => {
    if (!header) {
      header = parse(Buffer.from(record).toString('utf8').replace(/^\uFEFF/, ''), { relax_quotes: false })[0] as string[];
      width = header.length;
      return opts.onHeader ? Promise.resolve(opts.onHeader(header)) : undefined;
    }
    rows++;
    if (fields !== width) throw new DataError(`row ${rows} has ${fields} fields but the header has ${width}`, 'row-length', undefined, rows + 1);
    parts.push(record);
    return ++partRows === rowsPerChunk ? flush() : undefined;
  };

  for await (const buf of source) {
    bytes += buf.length;
    if (bytes > maxBytes) throw new UploadTooLarge(maxBytes);
    let start = 0;
    for (let i = 0; i < buf.length; i++) {
      const b = buf[i];
      if (b === QUOTE) inQuotes = !inQuotes;
      else if (inQuotes) continue;
      else if (b === COMMA) fields++;
      else if (b === LF) {
        const tail = buf.subarray(start, i + 1);
        if (!empty) {
          const wait = endRecord(pending.length ? Buffer.concat([...pending, tail]) : tail);
          if (wait) await wait;
        }
        pending = [];
        start = i + 1;
        fields = 1;
        empty = true;
        continue;
      }
      if (b !== CR) empty = false;
    }
    if (start < buf.length) pending.push(buf.subarray(start));
  }
  if (inQuotes) throw new DataError(`row ${rows + 1} has a quote that is never closed`, 'csv-syntax', undefined, rows + 2);
  if (!empty) await endRecord(Buffer.concat([...pending, Buffer.from('\n')]));
  await flush();
  if (!header) throw new DataError('the CSV is empty: it needs a header row and at least one data row', 'non-empty');
  if (rows === 0) throw new DataError('the CSV has a header but no data rows', 'non-empty');
  return { header, rows, chunks, bytes };
}
