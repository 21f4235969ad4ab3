/**
 * The prediction log's layout in the artifact store, for its writers (the API, the predict worker)
 * and its readers (the feedback route, the monitor). One NDJSON part per writer flush and hour:
 *
 *   predictions/<model>/<YYYY-MM-DD>/<HH>/<first ms>-<last ms>-<writer>.ndjson
 *
 * first/last ms are the earliest and latest `at` of the part's rows (13 digits, so names sort by
 * time): a reader of a time window lists the window's hours and reads only the parts it overlaps.
 */

/** One logged prediction: one line of a part. */
export interface LoggedPrediction {
  /** The prediction id the answer carried (UUIDv7; its time is `at`). */
  id: string;
  /** When it was asked for (ISO): the request's time, or an async batch's acceptance. */
  at: string;
  model: string;
  version: number;
  /** `predict`: POST /v1/predict; `batch`: a synchronous batch row; `async`: an async batch row. */
  source: 'predict' | 'batch' | 'async';
  /** The features as the caller sent them (an async batch's CSV cells as text). */
  features: Record<string, unknown>;
  /** The verdict: the predicted class and whether it is a threat class. */
  label: string;
  threat: boolean;
  /** Every class's probability. */
  probabilities: Record<string, number>;
}

export const PREDICTIONS_ROOT = 'predictions/';
const HOUR_MS = 3_600_000;
/** Hours a window may span (a year): bounds the listing of a reader's window. */
export const MAX_WINDOW_HOURS = 24 * 366;

const pad13 = (ms: number) => String(ms).padStart(13, '0');

/** `YYYY-MM-DD/HH` of a time. */
export const hourOf = (ms: number) => {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)}/${iso.slice(11, 13)}`;
};

/** A writer's name in part keys: letters, digits, `_` and `-` only. */
export const safeWriter = (writer: string) => writer.replace(/[^A-Za-z0-9_-]/g, '_');

/** The key of a part holding rows from `firstMs` to `lastMs` (the same hour) of `model`. */
export const logPartKey = (model: string, firstMs: number, lastMs: number, writer: string) =>
  `${PREDICTIONS_ROOT}${model}/${hourOf(firstMs)}/${pad13(firstMs)}-${pad13(lastMs)}-${safeWriter(writer)}.ndjson`;

/** The time span a part key names; undefined for keys that are not parts. */
export function partSpan(key: string): { firstMs: number; lastMs: number } | undefined {
  const m = /\/(\d{13})-(\d{13})-[^/]*\.ndjson$/.exec(key);
  return m ? { firstMs: Number(m[1]), lastMs: Number(m[2]) } : undefined;
}

/** The hour folders (`<root><YYYY-MM-DD>/<HH>/`) from the hour of `fromMs` to that of `toMs`, inclusive. */
export function hourPrefixes(root: string, fromMs: number, toMs: number): string[] {
  const first = Math.floor(fromMs / HOUR_MS);
  const last = Math.floor(toMs / HOUR_MS);
  if (last - first >= MAX_WINDOW_HOURS) throw new RangeError(`a window spans at most ${MAX_WINDOW_HOURS} hours`);
  const out: string[] = [];
  for (let h = first; h <= last; h++) out.push(`${root}${hourOf(h * HOUR_MS)}/`);
  return out;
}

/**
 * Rows grouped into parts: one per model and hour of `at`, each with its key and NDJSON text.
 * `writer` names the writer and its flush (e.g. `api-3f2a91c0-17`, `batch-<id>-<chunk>`).
 */
export function logParts(rows: readonly LoggedPrediction[], writer: string): { key: string; body: string; rows: LoggedPrediction[] }[] {
  const groups = new Map<string, { model: string; first: number; last: number; rows: LoggedPrediction[] }>();
  for (const r of rows) {
    const ms = Date.parse(r.at);
    const group = `${r.model}\n${Math.floor(ms / HOUR_MS)}`;
    const g = groups.get(group);
    if (!g) groups.set(group, { model: r.model, first: ms, last: ms, rows: [r] });
    else {
      g.rows.push(r);
      if (ms < g.first) g.first = ms;
      if (ms > g.last) g.last = ms;
    }
  }
  return [...groups.values()].map((g) => ({
    key: logPartKey(g.model, g.first, g.last, writer),
    body: `${g.rows.map((r) => JSON.stringify(r)).join('\n')}\n`,
    rows: g.rows,
  }));
}
