import type { Logger } from 'pino';
import { getJson, putJson } from '../core/artifacts/json.js';
import { sha256 } from '../core/artifacts/digest.js';
import { feedbackCsv } from '../core/monitoring/feedback-csv.js';
import { labelledRows } from '../core/monitoring/feedback-rows.js';
import type { RetrainContext } from '../core/monitoring/monitor-run.js';
export type { RetrainContext };
import type { Alert } from '../core/ports/alert-sink.js';
import type { ArtifactStore } from '../core/ports/artifact-store.js';
import { parseDatasetSchema, type Config } from '../schema/index.js';
import { RunSpec, type FeedbackRows } from '../schema/jobs.js';
import type { RunProducer } from './flow.js';
import { retrainTemplate, type RetrainTemplate } from './retrain.js';
import { feedbackRunId } from './run-jobs.js';

const DAY_MS = 86_400_000;


export interface FeedbackRetrainDeps {
  store: ArtifactStore;
  producer: Pick<RunProducer, 'enqueue'>;
  /** The configured retraining run (TM_RETRAIN_DATA, TM_RETRAIN_SCHEMA; see `retrainTemplate`). */
  template: RetrainTemplate;
  /** Days of labelled predictions up to the window's end (TM_MONITOR_FEEDBACK_DAYS). Default 7. */
  feedbackDays?: number;
  /** Labelled rows taken at most, the newest (TM_MONITOR_FEEDBACK_MAX_ROWS). Default 50,000. */
  maxRows?: number;
  /** Share of the training rows the feedback rows make up (TM_MONITOR_FEEDBACK_SHARE). Default 0.5. */
  share?: number;
  /**
   * Fewest usable feedback rows to start a run. Default 500: the run's test split is a 20 % share
   * of them, and promotion needs 100 test rows (TM_PROMOTION_MIN_ROWS) to compare.
   */
  minRows?: number;
  log?: Pick<Logger, 'info'>;
}

/** A window whose feedback is too thin to retrain on (starting a run would not help). */
export class NotEnoughFeedbackError extends Error {
  override name = 'NotEnoughFeedbackError';
}

/** What a feedback run's dataset was made of, kept beside it (`.json`); written once the run is enqueued. */
export interface FeedbackDatasetRecord {
  runId: string;
  key: string;
  rows: number;
  digest: string;
  window: FeedbackRows['window'];
  rules: Alert['rules'];
  /** Labels found in the span, those whose prediction was not in the log, rows the schema refused. */
  labels?: number;
  unmatched?: number;
  dropped?: number;
  enqueuedAt: string;
}

/** Where a feedback run's rows go in the artifact store. */
export const feedbackDatasetKey = (model: string, runId: string) => `feedback-datasets/${model}/${runId}.csv`;

/**
 * Starts a retraining run for an alerting monitor window: the configured run plus the labelled
 * feedback rows of the window and the days before it (logged features + true label), written as
 * a CSV in the artifact store. One run per model and window (its id derives from the window):
 * a retried call finds the record of the first and starts nothing; a call retried after a crash
 * reuses the CSV already written, and BullMQ adds no job twice. Promotion decides as for any run.
 */
export async function retrainWithFeedback(deps: FeedbackRetrainDeps, ctx: RetrainContext): Promise<{ runId: string; feedbackRows: number }> {
  const { store, template } = deps;
  if (template.modelName !== ctx.model) {
    throw new Error(`the configured retraining run trains ${template.modelName} (TM_RETRAIN_SCHEMA), not ${ctx.model}: no feedback run for ${ctx.model}`);
  }
  const runId = feedbackRunId(ctx.model, ctx.windowId);
  const key = feedbackDatasetKey(ctx.model, runId);
  const recordKey = key.replace(/\.csv$/, '.json');
  const done = await getJson<FeedbackDatasetRecord>(store, recordKey);
  if (done) return { runId, feedbackRows: done.rows };
  const sinceMs = Math.max(0, ctx.toMs - Math.round((deps.feedbackDays ?? 7) * DAY_MS));
  const window = { model: ctx.model, version: ctx.version, windowId: ctx.windowId, fromMs: ctx.fromMs, toMs: ctx.toMs, sinceMs };
  let stats: Pick<FeedbackDatasetRecord, 'labels' | 'unmatched' | 'dropped'> = {};
  let bytes = await store.get(key);
  if (!bytes) {
    const found = await labelledRows(store, ctx.model, { fromMs: sinceMs, toMs: ctx.toMs }, { maxRows: deps.maxRows ?? 50_000 });
    const out = feedbackCsv(parseDatasetSchema(JSON.stringify(template.schema), `${ctx.model} schema`), found.rows);
    stats = { labels: found.labels, unmatched: found.unmatched, dropped: out.dropped };
    const minRows = deps.minRows ?? 500;
    if (out.rows < minRows) {
      const refused = out.dropped ? `; ${out.dropped} refused by the schema, first: ${out.firstProblem}` : '';
      throw new NotEnoughFeedbackError(`window ${ctx.windowId} of ${ctx.model}: ${out.rows} usable labelled predictions since ${new Date(sinceMs).toISOString()} (${found.labels} labels, ${found.unmatched} not in the log${refused}); a feedback run needs at least ${minRows}`);
    }
    // A concurrent or crashed earlier call may have written it first: its rows are the run's.
    await store.put(key, out.csv, { ifAbsent: true });
    bytes = (await store.get(key))!;
  }
  const rows = countLines(bytes) - 1;
  const feedback: FeedbackRows = { key, rows, digest: sha256(bytes), share: deps.share ?? 0.5, window };
  await deps.producer.enqueue(RunSpec.parse({ ...template, runId, feedback }));
  const record: FeedbackDatasetRecord = { runId, key, rows, digest: feedback.digest, window, rules: ctx.rules, ...stats, enqueuedAt: new Date().toISOString() };
  await putJson(store, recordKey, record);
  deps.log?.info({ runId, model: ctx.model, window: ctx.windowId, feedbackRows: rows, ...stats }, 'retraining run with feedback rows enqueued');
  return { runId, feedbackRows: rows };
}

/** `retrainWithFeedback` with its settings from the configuration (the monitor's retrain hook). */
export function feedbackRetrainFrom(config: Config, deps: Pick<FeedbackRetrainDeps, 'store' | 'producer' | 'log'>) {
  return async (ctx: RetrainContext) =>
    retrainWithFeedback(
      {
        ...deps,
        template: await retrainTemplate(config),
        feedbackDays: config.TM_MONITOR_FEEDBACK_DAYS,
        maxRows: config.TM_MONITOR_FEEDBACK_MAX_ROWS,
        share: config.TM_MONITOR_FEEDBACK_SHARE,
        minRows: Math.ceil(config.TM_PROMOTION_MIN_ROWS / RunSpec.shape.testSize.parse(undefined)),
      },
      ctx,
    );
}

function countLines(bytes: Uint8Array): number {
  let n = 0;
  for (const b of bytes) if (b === 10) n++;
  return n;
}
