import { setTimeout as sleep } from 'node:timers/promises';
import { Gauge, type Registry } from 'prom-client';
import type { ArtifactStore } from '../core/ports/artifact-store.js';
import { getWindow, listWindowIds, newestDayWindowIds, parseWindowId, type MonitorWindow } from '../core/monitoring/window-store.js';

/** Prefix of the monitoring gauges (one place, should it ever join the `tm_` family). */
export const MONITOR_GAUGE_PREFIX = 'tm_monitor_';

/** How long the first scrape waits for the first read of the store (later scrapes never wait). */
const FIRST_READ_WAIT_MS = 5_000;

export interface MonitoringGaugeOptions {
  store: ArtifactStore;
  /** The model whose windows are read (the served model's name). */
  model: () => string;
  /** How long one read of the store serves scrapes before a scrape starts the next, ms. Default 15,000. */
  cacheMs?: number;
  /** A failed read (the gauges keep the last good one). Default: ignored. */
  onError?: (err: unknown) => void;
  now?: () => number;
}

/**
 * The latest window of each version still being monitored: the newest window overall, and the newest
 * of any other version that overlaps it (traffic of the old and the new version around a promotion).
 * A version the monitor moved on from drops out, so its series go away.
 */
export function latestWindowIds(ids: string[]): string[] {
  const newestOf = new Map<number, { id: string; fromMs: number; toMs: number }>();
  let newest: { id: string; fromMs: number; toMs: number; version: number } | undefined;
  for (const id of ids) {
    const w = parseWindowId(id);
    if (!w) continue;
    const mine = newestOf.get(w.version);
    if (!mine || w.toMs > mine.toMs) newestOf.set(w.version, { id, ...w });
    if (!newest || w.toMs > newest.toMs || (w.toMs === newest.toMs && w.version > newest.version)) newest = { id, ...w };
  }
  if (!newest) return [];
  const from = newest.fromMs;
  return [...newestOf.values()].filter((w) => w.toMs > from).map((w) => w.id);
}

/**
 * Prometheus gauges of a model's latest monitored windows, by model and version: feature drift share,
 * estimated and realised F1, alert (1 when the window broke a rule), rows, age. Read at scrape time
 * from the window store (one listing and a read per version) and kept `cacheMs`, so an API process
 * needs no extra worker and a burst of scrapes costs one listing. The values lag by one read: a scrape
 * gets the last finished read and starts the next one when that is older than `cacheMs`.
 */
export function monitoringGauges(registry: Registry, o: MonitoringGaugeOptions): void {
  // One set per registry: an ApiMetrics handed to a second app keeps the first app's gauges.
  if (registry.getSingleMetric(`${MONITOR_GAUGE_PREFIX}drift_share`)) return;
  const cacheMs = o.cacheMs ?? 15_000;
  const now = o.now ?? Date.now;
  let latest: MonitorWindow[] = [];
  let readAt = -Infinity;
  let reading: Promise<MonitorWindow[]> | undefined;

  const read = async (): Promise<MonitorWindow[]> => {
    const model = o.model();
    // Today's folder holds a running monitor's newest windows (one listing); all of them only when it stopped a week ago.
    const ids = latestWindowIds((await newestDayWindowIds(o.store, model, now())) ?? (await listWindowIds(o.store, model)));
    const windows = await Promise.all(ids.map((id) => getWindow(o.store, model, id)));
    return windows.filter((w): w is MonitorWindow => w !== undefined);
  };
  let readOnce = false;
  /**
   * The windows of the last read; a scrape past `cacheMs` starts the next read (concurrent scrapes
   * share it). Once a read has finished, scrapes never wait for the store: a listing that grew long
   * would make the whole of /metrics time out, so they get the last read while the next one runs.
   */
  const windows = async (): Promise<MonitorWindow[]> => {
    if (now() - readAt >= cacheMs) {
      reading ??= read()
        .then((w) => (latest = w))
        .catch((err: unknown) => {
          o.onError?.(err);
          return latest;
        })
        .finally(() => {
          readAt = now();
          readOnce = true;
          reading = undefined;
        });
    }
    if (readOnce || !reading) return latest;
    return Promise.race([reading, sleep(FIRST_READ_WAIT_MS, latest, { ref: false })]);
  };

  const gauge = (name: string, help: string, value: (w: MonitorWindow) => number | undefined) =>
    new Gauge({
      name: `${MONITOR_GAUGE_PREFIX}${name}`,
      help,
      labelNames: ['model', 'version'],
      registers: [registry],
      async collect() {
        const all = await windows();
        this.reset();
        for (const w of all) {
          const v = value(w);
          // A figure the window lacks (no feedback yet, NaN stored as null) gets no sample.
          if (typeof v === 'number' && Number.isFinite(v)) this.set({ model: w.model, version: String(w.version) }, v);
        }
      },
    });

  gauge('drift_share', "Share of features whose drift test fired in the version's latest monitored window", (w) => w.report.features?.share);
  gauge('estimated_f1', 'F1 estimated from calibrated scores without labels (CBPE) in the latest window', (w) => w.report.estimated?.f1.value);
  gauge('realised_f1', "F1 on the latest window's rows with feedback (absent without feedback)", (w) => w.report.realised?.f1);
  gauge('alert', '1 when the latest window broke an alert rule, else 0', (w) => (w.alerts?.length ? 1 : 0));
  gauge('window_rows', 'Logged predictions in the latest window', (w) => w.report.rows);
  gauge('window_age_seconds', 'Seconds since the end of the latest window (grows while the monitor writes none)', (w) => (now() - w.toMs) / 1000);
}
