import { DataError } from '../errors.js';
import { DecimalReader } from './decimal-bytes.js';

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

/** The fields of one record as byte ranges of `buf`; valid only during the `onRecord` call. */
export interface CsvFields {
  buf: Buffer;
  count: number;
  start: Int32Array;
  end: Int32Array;
  /** 1 where the field was quoted: its text still holds doubled quotes (`""`). */
  quoted: Uint8Array;
  /**
   * The field's value when it is an unquoted plain decimal that `Number()` reads the same (see
   * `DecimalReader`), else NaN; read while scanning, so numeric cells cost one pass over their bytes.
   */
  number: Float64Array;
}

/** Line feeds in `buf` followed by more text, not another line break: about its records, to estimate a file's rows from a first chunk. */
export function linesIn(buf: Uint8Array): number {
  let n = 0;
  for (let at = buf.indexOf(LF); at >= 0; at = buf.indexOf(LF, at + 1)) if (at + 1 < buf.length && buf[at + 1] !== LF && buf[at + 1] !== CR) n++;
  return n;
}

/** Field `i`'s text, as csv-parse would give it. */
export function fieldText(f: CsvFields, i: number): string {
  const text = f.buf.toString('utf8', f.start[i], f.end[i]);
  return f.quoted[i] && text.includes('"') ? text.replaceAll('""', '"') : text;
}

/**
 * Splits CSV bytes into records of field ranges without making strings: the training reader turns
 * the ranges straight into numbers and category codes. Same dialect as csv-parse with
 * `{bom, relax_column_count, skip_empty_lines}` on LF or CRLF files: quoted fields may hold commas,
 * newlines and doubled quotes; a quote inside an unquoted field, or text after a closing quote, is
 * a `DataError` (rule `csv-syntax`); records report the 1-based line they end on (counting LFs:
 * csv-parse also counts a CR inside a quoted field as a line).
 */
export class CsvScanner {
  private carry: Buffer | undefined;
  private lines = 0;
  private started = false;
  private readonly fields: CsvFields = { buf: Buffer.alloc(0), count: 0, start: new Int32Array(64), end: new Int32Array(64), quoted: new Uint8Array(64), number: new Float64Array(64) };
  private readonly decimal = new DecimalReader();

  constructor(private readonly onRecord: (fields: CsvFields, line: number) => void) {}

  /** Scans a chunk; a record cut at the chunk's end waits for the next one. */
  push(chunk: Buffer): void {
    let buf = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = undefined;
    if (!this.started) {
      if (buf.length < 3) {
        this.carry = buf;
        return;
      }
      this.started = true;
      if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
    }
    let pos = 0;
    while (pos < buf.length) {
      const next = this.record(buf, pos, false);
      if (next < 0) break;
      pos = next;
    }
    if (pos < buf.length) this.carry = buf.subarray(pos);
  }

  /** Scans what is left at the end of the input. */
  end(): void {
    if (!this.started && this.carry) {
      this.started = true;
      const b = this.carry;
      if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) this.carry = b.subarray(3);
    }
    const buf = this.carry;
    this.carry = undefined;
    let pos = 0;
    while (buf && pos < buf.length) pos = this.record(buf, pos, true);
  }

  /** Scans one record from `pos`: the position after it, or -1 when it is cut off (not `final`). */
  private record(buf: Buffer, pos: number, final: boolean): number {
    const n = buf.length;
    // Empty lines are skipped (but counted).
    if (buf[pos] === LF) {
      this.lines++;
      return pos + 1;
    }
    if (buf[pos] === CR) {
      if (pos + 1 < n && buf[pos + 1] === LF) {
        this.lines++;
        return pos + 2;
      }
      if (pos + 1 === n) return final ? n : -1;
    }
    const f = this.fields;
    f.buf = buf;
    let count = 0;
    let newlines = 0;
    let i = pos;
    for (;;) {
      if (count === f.start.length) this.grow();
      if (i < n && buf[i] === QUOTE) {
        const s = i + 1;
        let j = s;
        for (;;) {
          while (j < n && buf[j] !== QUOTE) {
            if (buf[j] === LF) newlines++;
            j++;
          }
          if (j >= n) {
            if (final) throw this.syntax('a quoted field is never closed', newlines);
            return -1;
          }
          if (j + 1 < n && buf[j + 1] === QUOTE) {
            j += 2;
            continue;
          }
          if (j + 1 >= n && !final) return -1;
          break;
        }
        f.start[count] = s;
        f.end[count] = j;
        f.quoted[count] = 1;
        f.number[count] = NaN;
        count++;
        i = j + 1;
        if (i >= n) return this.emit(count, newlines, n);
        const c = buf[i];
        if (c === COMMA) {
          i++;
          continue;
        }
        if (c === LF) return this.emit(count, newlines, i + 1);
        if (c === CR && i + 1 < n && buf[i + 1] === LF) return this.emit(count, newlines, i + 2);
        if (c === CR && i + 1 === n) return final ? this.emit(count, newlines, n) : -1;
        throw this.syntax(`text after the closing quote of field ${count}`, newlines);
      }
      const s = i;
      i = this.decimal.read(buf, i, n, f.number, count);
      const decimalEnd = i;
      // The bytes a decimal is made of are none of the separators, so the scan goes on from its end.
      while (i < n) {
        const c = buf[i];
        if (c === COMMA || c === LF) break;
        if (c === QUOTE) throw this.syntax(`a quote inside unquoted field ${count + 1}`, newlines);
        i++;
      }
      if (i >= n && !final) return -1;
      const atEnd = i >= n || buf[i] === LF;
      const e = atEnd && i > s && buf[i - 1] === CR ? i - 1 : i;
      if (e !== decimalEnd) f.number[count] = NaN;
      f.start[count] = s;
      f.end[count] = e;
      f.quoted[count] = 0;
      count++;
      if (!atEnd) {
        i++;
        continue;
      }
      return this.emit(count, newlines, i >= n ? n : i + 1);
    }
  }

  private emit(count: number, newlines: number, next: number): number {
    this.fields.count = count;
    const line = this.lines + newlines + 1;
    this.lines += newlines + 1;
    this.onRecord(this.fields, line);
    return next;
  }

  private syntax(what: string, newlines: number): DataError {
    const line = this.lines + newlines + 1;
    return new DataError(`not a readable CSV: ${what} (line ${line})`, 'csv-syntax', undefined, line);
  }

  private grow(): void {
    const f = this.fields;
    const size = f.start.length * 2;
    const start = new Int32Array(size);
    const end = new Int32Array(size);
    const quoted = new Uint8Array(size);
    const number = new Float64Array(size);
    start.set(f.start);
    end.set(f.end);
    quoted.set(f.quoted);
    number.set(f.number);
    [f.start, f.end, f.quoted, f.number] = [start, end, quoted, number];
  }
}
