/** A numeric column; missing cells are NaN. */
export interface NumericColumn {
  kind: 'numeric';
  name: string;
  values: Float64Array;
}

/** A dictionary-encoded column: `codes[i]` indexes `categories`; -1 is a missing cell. */
export interface CategoricalColumn {
  kind: 'categorical';
  name: string;
  codes: Int32Array;
  categories: string[];
}

export type Column = NumericColumn | CategoricalColumn;

/** Columnar table of feature columns, all `nRows` long. */
export interface Frame {
  nRows: number;
  columns: Column[];
}

/** Features plus the label as class indices into `classes` (-1 where the label is missing or unknown). */
export interface Dataset {
  features: Frame;
  labels: Int32Array;
  classes: string[];
  /** Index into `classes` of the positive (first threat) class. */
  positiveClass: number;
}

export function isMissing(column: Column, row: number): boolean {
  return column.kind === 'numeric' ? Number.isNaN(column.values[row]) : column.codes[row] < 0;
}

export function column(frame: Frame, name: string): Column {
  const found = frame.columns.find((c) => c.name === name);
  if (!found) throw new Error(`no column ${name}`);
  return found;
}

/** The rows `idx` of a column, in that order. */
export function takeColumn(col: Column, idx: ArrayLike<number>): Column {
  if (col.kind === 'numeric') {
    const values = new Float64Array(idx.length);
    for (let i = 0; i < idx.length; i++) values[i] = col.values[idx[i]];
    return { kind: 'numeric', name: col.name, values };
  }
  const codes = new Int32Array(idx.length);
  for (let i = 0; i < idx.length; i++) codes[i] = col.codes[idx[i]];
  return { kind: 'categorical', name: col.name, codes, categories: col.categories };
}

/** Rows [start, end) of a frame as views of its columns (no copy). */
export function sliceRows(frame: Frame, start: number, end: number): Frame {
  const columns = frame.columns.map((c): Column => (c.kind === 'numeric' ? { ...c, values: c.values.subarray(start, end) } : { ...c, codes: c.codes.subarray(start, end) }));
  return { nRows: end - start, columns };
}

export function takeRows(frame: Frame, idx: ArrayLike<number>): Frame {
  return { nRows: idx.length, columns: frame.columns.map((c) => takeColumn(c, idx)) };
}

export function takeDataset(data: Dataset, idx: ArrayLike<number>): Dataset {
  const labels = new Int32Array(idx.length);
  for (let i = 0; i < idx.length; i++) labels[i] = data.labels[idx[i]];
  return { ...data, features: takeRows(data.features, idx), labels };
}
