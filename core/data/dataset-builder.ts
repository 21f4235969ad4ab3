import type { ColumnSpec, DatasetSchema } from '../../schema/index.js';
import { ByteDictionary } from './byte-dictionary.js';
import { float64Builder, int32Builder, type TypedBuilder } from './column-builder.js';
import { fieldText, type CsvFields } from './csv-scanner.js';
import type { Column, Dataset } from './frame.js';
import { mapHeader, type HeaderMap } from './header.js';
import { IssueCollector, type DataIssue } from './read-issues.js';

/** Code of a categorical cell whose value is not in the schema (missing cells are -1). */
export const UNKNOWN_CATEGORY = -2;

type Cell = string | number | boolean | null | undefined;

interface Sink {
  spec: ColumnSpec;
  at: number;
  push(cell: Cell, line: number): void;
  /** The same from a CSV field's bytes: plain numbers and known categories skip making a string. */
  pushField(f: CsvFields, line: number): void;
  /** A numeric column's values, for `pushFields` to append plain decimals without a call per cell. */
  numbers?: TypedBuilder<Float64Array>;
  reserve(rows: number): void;
  finish(): Column;
}

/** Whether a field's first or last byte leaves its text unchanged by `trim()` (ASCII, not space). */
const plain = (b: number) => b > 0x20 && b < 0x7f;

/** Whether field `at` is unquoted text that `trim()` leaves as it is (the fast paths take only those). */
function plainField(f: CsvFields, at: number): boolean {
  const s = f.start[at];
  const e = f.end[at];
  return f.quoted[at] === 0 && e > s && plain(f.buf[s]) && plain(f.buf[e - 1]);
}

/**
 * Turns records (string cells from CSV, typed cells from a database) into a columnar `Dataset`,
 * checking each cell against its column's type, category list and nullability as it goes.
 * Problems are collected, never thrown, so one pass reports all of them; `issues()` lists them.
 */
export class DatasetBuilder {
  private readonly issues = new IssueCollector();
  private readonly map: HeaderMap;
  private readonly sinks: Sink[];
  private readonly labels = int32Builder();
  private readonly labelCodes: Map<string, number>;
  private readonly missing: Set<string>;
  rows = 0;
  /** Records (0-based rows) that broke a rule, with the first rule each broke; filled with `trackRows`. */
  readonly rowErrors = new Map<number, DataIssue>();
  private readonly trackRows: boolean;
  /** Rows the columns have room for (see `expectRows`). */
  private room = 0;
  /** Missing-value tokens, by their bytes, and whether one of them reads as a number. */
  private readonly missingBytes: ByteDictionary;
  private readonly numericMissing: boolean;
  private readonly labelBytes: ByteDictionary;
  /** Label codes whose text is also a missing token (the slow path decides those). */
  private readonly labelMissing: Uint8Array;

  constructor(
    private readonly schema: DatasetSchema,
    header: string[],
    opts: { requireLabel?: boolean; trackRows?: boolean } = {},
  ) {
    this.trackRows = opts.trackRows ?? false;
    this.missing = new Set(schema.missingValues);
    this.missingBytes = new ByteDictionary(schema.missingValues);
    this.numericMissing = schema.missingValues.some((t) => t.trim() !== '' && Number.isFinite(Number(t)));
    this.map = mapHeader(header, schema, this.issues, opts.requireLabel ?? true);
    this.sinks = schema.features.map((spec, i) => this.sinkFor(spec, this.map.features[i]));
    this.labelCodes = new Map(schema.label.classes.map((c, i) => [String(c), i]));
    const classes = schema.label.classes.map(String);
    this.labelBytes = new ByteDictionary(classes);
    this.labelMissing = Uint8Array.from(classes, (c) => (this.missing.has(c) ? 1 : 0));
  }

  private isNull(cell: Cell): boolean {
    return cell === null || cell === undefined || (typeof cell === 'string' && this.missing.has(cell.trim()));
  }

  private sinkFor(spec: ColumnSpec, at: number): Sink {
    const { issues } = this;
    const nullCell = (line: number) => {
      if (!spec.nullable) issues.add('not-null', 'error', spec.name, `column ${spec.name} has empty cells but is not nullable`, { line });
    };
    if (spec.kind === 'numeric') {
      const out = float64Builder();
      const sink: Sink = {
        spec,
        at,
        numbers: out,
        pushField: (f, line) => {
          // A plain decimal is final unless a missing-value token is itself a number (e.g. -999).
          const v = at >= 0 ? f.number[at] : NaN;
          if (v === v && !(this.numericMissing && this.missingBytes.lookup(f.buf, f.start[at], f.end[at]) >= 0)) return out.pushFrom(f.number, at);
          sink.push(at >= 0 ? fieldText(f, at) : undefined, line);
        },
        push: (cell, line) => {
          if (at < 0) return out.push(NaN);
          if (this.isNull(cell)) {
            nullCell(line);
            return out.push(NaN);
          }
          const v = typeof cell === 'number' ? cell : typeof cell === 'string' && cell.trim() !== '' ? Number(cell) : NaN;
          if (!Number.isFinite(v)) {
            issues.add('numeric', 'error', spec.name, `column ${spec.name} must hold numbers`, { line, value: String(cell) });
            return out.push(NaN);
          }
          out.push(v);
        },
        reserve: (rows) => out.reserve(rows),
        finish: () => ({ kind: 'numeric', name: spec.name, values: out.finish() }),
      };
      return sink;
    }
    const categories = spec.values.map(String);
    const codes = new Map(categories.map((c, i) => [c, i]));
    const bytes = new ByteDictionary(categories);
    const missingCode = Uint8Array.from(categories, (c) => (this.missing.has(c) ? 1 : 0));
    const out = int32Builder();
    const sink: Sink = {
      spec,
      at,
      pushField: (f, line) => {
        if (at >= 0 && plainField(f, at)) {
          const code = bytes.lookup(f.buf, f.start[at], f.end[at]);
          if (code >= 0 && !missingCode[code]) return out.push(code);
        }
        sink.push(at >= 0 ? fieldText(f, at) : undefined, line);
      },
      push: (cell, line) => {
        if (at < 0) return out.push(-1);
        if (this.isNull(cell)) {
          nullCell(line);
          return out.push(-1);
        }
        const text = typeof cell === 'string' ? cell.trim() : String(cell);
        const code = codes.get(text);
        if (code === undefined) {
          issues.add('allowed-values', 'error', spec.name, `column ${spec.name} has a category outside its allowed values`, { line, value: text });
          return out.push(UNKNOWN_CATEGORY);
        }
        out.push(code);
      },
      reserve: (rows) => out.reserve(rows),
      finish: () => ({ kind: 'categorical', name: spec.name, codes: out.finish(), categories }),
    };
    return sink;
  }

  /**
   * Makes room for about `rows` rows in every column at once (a reader that knows the input's size
   * estimates them), instead of doubling each column as it fills: at a million rows the doubling
   * copies cost as much as parsing the numbers. A wrong guess only costs memory or a later copy.
   */
  expectRows(rows: number): void {
    if (rows <= this.room) return;
    this.room = Math.ceil(rows);
    for (const sink of this.sinks) sink.reserve(this.room);
    this.labels.reserve(this.room);
  }

  /** Adds one record; `line` is its 1-based line in the source (for messages). */
  push(record: Cell[], line: number): void {
    if (!this.widthFits(record.length, line)) return;
    const before = this.issues.errors;
    for (const sink of this.sinks) {
      sink.push(record[sink.at], line);
      if (this.trackRows && this.issues.errors !== before && !this.rowErrors.has(this.rows)) this.rowErrors.set(this.rows, this.issues.lastError!);
    }
    this.labels.push(this.labelOf(record, line));
    this.rows++;
  }

  /** `push` for a record still in CSV bytes (the fast path of `readCsv`); same checks, same issues. */
  pushFields(f: CsvFields, line: number): void {
    if (!this.widthFits(f.count, line)) return;
    const before = this.issues.errors;
    const { number } = f;
    const direct = !this.numericMissing;
    for (const sink of this.sinks) {
      const at = sink.at;
      // Plain decimals, most cells, go straight into numeric columns; the sink judges the rest.
      if (direct && sink.numbers !== undefined && at >= 0 && number[at] === number[at]) sink.numbers.pushFrom(number, at);
      else sink.pushField(f, line);
      if (this.trackRows && this.issues.errors !== before && !this.rowErrors.has(this.rows)) this.rowErrors.set(this.rows, this.issues.lastError!);
    }
    const at = this.map.label;
    let label = -1;
    if (at >= 0 && plainField(f, at)) label = this.labelBytes.lookup(f.buf, f.start[at], f.end[at]);
    if (label < 0 || this.labelMissing[label]) label = at < 0 ? -1 : this.labelOf([fieldText(f, at)], line, 0);
    this.labels.push(label);
    this.rows++;
  }

  private widthFits(width: number, line: number): boolean {
    if (width === this.map.width) return true;
    this.issues.add('row-length', 'error', undefined, `rows must have ${this.map.width} cells like the header`, { line, value: `${width} cells` });
    return false;
  }

  private labelOf(record: Cell[], line: number, at = this.map.label): number {
    const { label } = this.schema;
    if (this.map.label < 0) return -1;
    const cell = record[at];
    if (this.isNull(cell)) {
      this.issues.add('label-missing', 'error', label.name, `label ${label.name} is empty`, { line });
      return -1;
    }
    const text = typeof cell === 'string' ? cell.trim() : String(cell);
    const code = this.labelCodes.get(text);
    if (code === undefined) {
      this.issues.add('label-class', 'error', label.name, `label ${label.name} has a class outside ${label.classes.join(', ')}`, {
        line,
        value: text,
      });
      return -1;
    }
    return code;
  }

  finish(): { dataset: Dataset; issues: DataIssue[]; hasLabel: boolean } {
    const classes = this.schema.label.classes.map(String);
    const dataset: Dataset = {
      features: { nRows: this.rows, columns: this.sinks.map((s) => s.finish()) },
      labels: this.labels.finish(),
      classes,
      positiveClass: classes.indexOf(String(this.schema.label.threat[0])),
    };
    return { dataset, issues: this.issues.list(), hasLabel: this.map.label >= 0 };
  }
}
