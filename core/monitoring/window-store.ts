import type { Alert } from '../ports/alert-sink.js';
import type { ArtifactStore } from '../ports/artifact-store.js';
import type { TimeWindow } from './prediction-log-reader.js';
import type { WindowReport } from './window-report.js';

/**
 * The monitor's stored reports, one JSON object per model, version and window:
 *
 *   monitoring/<model>/windows/<YYYY-MM-DD of from>/<from ms>-<to ms>-v<version>.json
 *
 * from/to are 13 digits, so keys sort by time; the id is the file name without `.json`. A folder
 * per day keeps a span's listing to its days (a year of 5-minute windows is 105k files).
 */
export const MONITORING_ROOT = 'monitoring/';
const DAY_MS = 86_400_000;
/** A window spans at most 7 days, so a span's windows start on its days or the 7 before. */
export const MAX_WINDOW_MS = 7 * DAY_MS;
/** Spans longer than this list every window of the model instead of day by day. */
const MAX_LISTED_DAYS = 400;

/** One monitored window of a served model version. */
export interface MonitorWindow {
  id: string;
  model: string;
  version: number;
  /** The window's span (Unix ms; `from` included, `to` excluded). */
  fromMs: number;
  toMs: number;
  /** When the monitor wrote it (ISO). */
  createdAt: string;
  /** The version's test F1 at registration: the baseline of both F1-drop rules. */
  testF1: number;
  report: WindowReport;
  /** The alert rules the window broke (empty: no alert). */
  alerts: Alert['rules'];
  /** What the monitor did about the alerts (a retraining run it started). */
  action?: { kind: 'retrain'; runId: string; feedbackRows: number };
}

const pad13 = (ms: number) => String(ms).padStart(13, '0');

/** The id of a model version's window. */
export const windowId = (w: TimeWindow, version: number) => `${pad13(w.fromMs)}-${pad13(w.toMs)}-v${version}`;

const windowsPrefix = (model: string) => `${MONITORING_ROOT}${model}/windows/`;
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
/** The window id a stored key names (its file name without `.json`). */
const idOfKey = (key: string) => key.slice(key.lastIndexOf('/') + 1).replace(/\.json$/, '');
const windowKey = (model: string, id: string, fromMs: number) => `${windowsPrefix(model)}${dayOf(fromMs)}/${id}.json`;

/** A window id's span and version; undefined when it is not one. */
export function parseWindowId(id: string): (TimeWindow & { version: number }) | undefined {
  const m = /^(\d{13})-(\d{13})-v(\d+)$/.exec(id);
  return m ? { fromMs: Number(m[1]), toMs: Number(m[2]), version: Number(m[3]) } : undefined;
}

/** Stores a window (replacing one with its id); with `ifAbsent`, only when none has its id. */
export async function saveWindow(store: ArtifactStore, w: MonitorWindow, opts: { ifAbsent?: boolean } = {}): Promise<{ created: boolean }> {
  const span = parseWindowId(w.id);
  if (!span || span.fromMs !== w.fromMs || span.toMs !== w.toMs || span.version !== w.version) throw new RangeError(`window id ${w.id} does not match its span and version`);
  if (!(w.toMs > w.fromMs) || w.toMs - w.fromMs > MAX_WINDOW_MS) throw new RangeError(`a window spans more than 0 ms and at most 7 days: ${w.id}`);
  return store.put(windowKey(w.model, w.id, w.fromMs), JSON.stringify(w), opts);
}

export async function getWindow(store: ArtifactStore, model: string, id: string): Promise<MonitorWindow | undefined> {
  const span = parseWindowId(id);
  if (!span) return undefined;
  const bytes = await store.get(windowKey(model, id, span.fromMs));
  return bytes ? (JSON.parse(Buffer.from(bytes).toString('utf8')) as MonitorWindow) : undefined;
}

/** Ids of a model's windows that overlap a time span, oldest first. */
export async function listWindowIds(store: ArtifactStore, model: string, span: TimeWindow = { fromMs: 0, toMs: Number.MAX_SAFE_INTEGER }): Promise<string[]> {
  const ids: string[] = [];
  const keep = (keys: string[]) => {
    for (const key of keys) {
      const id = idOfKey(key);
      const w = parseWindowId(id);
      if (w && w.toMs > span.fromMs && w.fromMs < span.toMs) ids.push(id);
    }
  };
  const firstDay = Math.floor(Math.max(0, span.fromMs - MAX_WINDOW_MS) / DAY_MS);
  const lastDay = Math.floor(Math.min(span.toMs, 8.64e15) / DAY_MS);
  if (lastDay - firstDay > MAX_LISTED_DAYS) keep(await store.list(windowsPrefix(model)));
  else for (let d = firstDay; d <= lastDay; d++) keep(await store.list(`${windowsPrefix(model)}${dayOf(d * DAY_MS)}/`));
  return ids.sort();
}

/**
 * Ids of the windows in the newest day folder that has any, up to `days` back from `nowMs` (a
 * running monitor's latest windows are in today's folder: one listing); undefined when none has.
 */
export async function newestDayWindowIds(store: ArtifactStore, model: string, nowMs: number, days = 8): Promise<string[] | undefined> {
  for (let d = 0; d < days; d++) {
    const ids = (await store.list(`${windowsPrefix(model)}${dayOf(nowMs - d * DAY_MS)}/`)).map(idOfKey).filter((id) => parseWindowId(id));
    if (ids.length) return ids.sort();
  }
  return undefined;
}
