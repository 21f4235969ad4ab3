import type { Alert } from '../ports/alert-sink.js';
import type { ArtifactStore } from '../ports/artifact-store.js';
import type { TimeWindow } from './prediction-log-reader.js';
import type { WindowReport } from './window-report.js';

/**
 * The monitor's stored reports, one JSON object per model, version and window:
 *
 *   monitoring/<model>/windows/<from ms>-<to ms>-v<version>.json
 *
 * from/to are 13 digits, so keys sort by time; the id is the file name without `.json`.
 */
export const MONITORING_ROOT = 'monitoring/';

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

const windowKey = (model: string, id: string) => `${MONITORING_ROOT}${model}/windows/${id}.json`;

/** A window id's span and version; undefined when it is not one. */
export function parseWindowId(id: string): (TimeWindow & { version: number }) | undefined {
  const m = /^(\d{13})-(\d{13})-v(\d+)$/.exec(id);
  return m ? { fromMs: Number(m[1]), toMs: Number(m[2]), version: Number(m[3]) } : undefined;
}

export async function saveWindow(store: ArtifactStore, w: MonitorWindow): Promise<void> {
  await store.put(windowKey(w.model, w.id), JSON.stringify(w));
}

export async function getWindow(store: ArtifactStore, model: string, id: string): Promise<MonitorWindow | undefined> {
  if (!parseWindowId(id)) return undefined;
  const bytes = await store.get(windowKey(model, id));
  return bytes ? (JSON.parse(Buffer.from(bytes).toString('utf8')) as MonitorWindow) : undefined;
}

/** Ids of a model's windows that overlap a time span, oldest first. */
export async function listWindowIds(store: ArtifactStore, model: string, span: TimeWindow = { fromMs: 0, toMs: Number.MAX_SAFE_INTEGER }): Promise<string[]> {
  const ids: string[] = [];
  for (const key of await store.list(`${MONITORING_ROOT}${model}/windows/`)) {
    const id = key.slice(key.lastIndexOf('/') + 1).replace(/\.json$/, '');
    const w = parseWindowId(id);
    if (w && w.toMs > span.fromMs && w.fromMs < span.toMs) ids.push(id);
  }
  return ids;
}
