import type { ColumnSpec, DatasetSchema } from '../../schema/index.js';
import { float64Builder, int32Builder } from './column-builder.js';
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
  finish(): Column;
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

  constructor(
    private readonly schema: DatasetSchema,
    header: string[],
    opts: { requireLabel?: boolean; trackRows?: boolean } = {},
  ) {
    this.trackRows = opts.trackRows ?? false;
    this.missing = new Set(schema.missingValues);
    this.map = mapHeader(header, schema, this.issues, opts.requireLabel ?? true);
    this.sinks = schema.features.map((spec, i) => this.sinkFor(spec, this.map.features[i]));
    this.labelCodes = new Map(schema.label.classes.map((c, i) => [String(c), i]));
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
      return {
        spec,
        at,
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
        finish: () => ({ kind: 'numeric', name: spec.name, values: out.finish() }),
      };
    }
    const categories = spec.values.map(String);
    const codes = new Map(categories.map((c, i) => [c, i]));
    const out = int32Builder();
    return {
      spec,
      at,
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
      finish: () => ({ kind: 'categorical', name: spec.name, codes: out.finish(), categories }),
    };
  }

  /** Adds one record; `line` is its 1-based line in the source (for messages). */
  push(record: Cell[], line: number): void {
    if (record.length !== this.map.width) {
      this.issues.add('row-length', 'error', undefined, `rows must have ${this.map.width} cells like the header`, {
        line,
        value: `${record.length} cells`,
      });
      return;
    }
    const before = this.issues.errors;
    for (const sink of this.sinks) {
      sink.push(record[sink.at], line);
      if (this.trackRows && this.issues.errors !== before && !this.rowErrors.has(this.rows)) this.rowErrors.set(this.rows, this.issues.lastError!);
    }
    this.labels.push(this.labelOf(record, line));
    this.rows++;
  }

  private labelOf(record: Cell[], line: number): number {
    const { label } = this.schema;
    if (this.map.label < 0) return -1;
    const cell = record[this.map.label];
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
