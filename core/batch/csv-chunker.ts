import { CsvScanner, fieldText } from '../data/csv-scanner.js';
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
  /** Bytes the header line may hold. Default MAX_HEADER_BYTES. */
  maxHeaderBytes?: number;
  /** Columns the header may name. Default MAX_COLUMNS. */
  maxColumns?: number;
  /** Bytes one data record may hold. Default MAX_RECORD_BYTES. */
  maxRecordBytes?: number;
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

/**
 * Limits on one upload's header and records, far above real telemetry (the phishing header is
 * 600 bytes): without them a one-line 50 MB header was read into memory whole and every cell
 * compared with every feature name, blocking the event loop for minutes.
 */
export const MAX_HEADER_BYTES = 256 * 1024;
export const MAX_COLUMNS = 4096;
export const MAX_RECORD_BYTES = 1024 * 1024;

/**
 * The header as fields, read by the training reader's scanner (csv-parse's dialect; csv-parse
 * itself took over a second on a 256 KiB header). A header that is not CSV is a DataError naming it.
 */
function parseHeader(record: Uint8Array): string[] {
  let header: string[] = [];
  const scanner = new CsvScanner((f) => {
    if (!header.length) header = Array.from({ length: f.count }, (_, i) => fieldText(f, i));
  });
  try {
    scanner.push(Buffer.from(record.buffer, record.byteOffset, record.byteLength));
    scanner.end();
  } catch (err) {
    throw new DataError(`the header is not valid CSV: ${(err as Error).message.slice(0, 200)}`, 'csv-syntax', 'header', 1);
  }
  return header;
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
  const maxHeaderBytes = opts.maxHeaderBytes ?? MAX_HEADER_BYTES;
  const maxColumns = opts.maxColumns ?? MAX_COLUMNS;
  const maxRecordBytes = opts.maxRecordBytes ?? MAX_RECORD_BYTES;
  let header: string[] | undefined;
  let width = 0;
  let bytes = 0;
  let rows = 0;
  let chunks = 0;
  let parts: Uint8Array[] = [];
  let partRows = 0;
  let pending: Uint8Array[] = []; // the record still being read, across buffers
  let pendingBytes = 0;
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
  /** Refuses a record over its limits, as soon as it is seen to be (`bytes`: read so far). */
  const checkSize = (bytes: number) => {
    if (!header) {
      if (bytes > maxHeaderBytes) throw new DataError(`the header is over ${maxHeaderBytes} bytes`, 'max-header-bytes', 'header', 1);
      if (fields > maxColumns) throw new DataError(`the header has over ${maxColumns} columns`, 'max-columns', 'header', 1);
    } else if (bytes > maxRecordBytes) throw new DataError(`row ${rows + 1} is over ${maxRecordBytes} bytes`, 'max-row-bytes', undefined, rows + 2);
  };
  const endRecord = (record: Uint8Array): Promise<void> | undefined => {
    checkSize(record.length);
    if (!header) {
      header = parseHeader(record);
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
        pendingBytes = 0;
        start = i + 1;
        fields = 1;
        empty = true;
        continue;
      }
      if (b !== CR) empty = false;
    }
    if (start < buf.length) {
      pending.push(buf.subarray(start));
      pendingBytes += buf.length - start;
    }
    checkSize(pendingBytes);
  }
  if (inQuotes) throw new DataError(`row ${rows + 1} has a quote that is never closed`, 'csv-syntax', undefined, rows + 2);
  if (!empty) await endRecord(Buffer.concat([...pending, Buffer.from('\n')]));
  await flush();
  if (!header) throw new DataError('the CSV is empty: it needs a header row and at least one data row', 'non-empty');
  if (rows === 0) throw new DataError('the CSV has a header but no data rows', 'non-empty');
  return { header, rows, chunks, bytes };
}
