/** Served traffic written straight into the prediction log, as the API would log it (monitor tests). */
import { readFileSync } from 'node:fs';
import { RecordEncoder } from '../../core/data/record-encoder.js';
import { idAt, newIdRange } from '../../core/monitoring/prediction-id.js';
import { logParts, type LoggedPrediction } from '../../core/monitoring/prediction-log-format.js';
import type { ArtifactStore } from '../../core/ports/artifact-store.js';
import type { ServedModel } from '../../core/registry/served-model.js';
import { repoPath } from './datasets.js';

/** The phishing rows as JSON records (features as a client sends them) with their true label. */
export function phishingRecords(): { features: Record<string, number>; label: string }[] {
  const [head, ...lines] = readFileSync(repoPath('data/phishing.csv'), 'utf8').replaceAll('"', '').trim().split(/\r?\n/);
  const names = head.split(',');
  return lines.map((line) => {
    const cells = line.split(',').map(Number);
    return { features: Object.fromEntries(names.slice(0, 30).map((n, k) => [n, cells[k]])), label: String(cells[30]) };
  });
}

/** Serves `records` with the model (as the API would) and logs them evenly over [from, from + W). */
export async function logServedSpan(store: ArtifactStore, served: ServedModel, records: { features: Record<string, number> }[], from: number, W: number, writer: string): Promise<LoggedPrediction[]> {
  const { frame } = new RecordEncoder(served.schema).encode(records.map((r) => r.features));
  const proba = served.pipeline.predictProba(frame);
  const K = served.pipeline.classes.length;
  const rows = records.map((r, i): LoggedPrediction => {
    const ms = from + Math.floor((i * W) / records.length);
    const probabilities = Object.fromEntries(served.pipeline.classes.map((c, k) => [c, proba[i * K + k]]));
    const score = served.threatClasses.reduce((s, k) => s + proba[i * K + k], 0);
    return { id: idAt(newIdRange(ms), 0), at: new Date(ms).toISOString(), model: served.name, version: served.version, source: 'predict', features: r.features, label: score >= served.threshold ? '-1' : '1', threat: score >= served.threshold, probabilities };
  });
  for (const part of logParts(rows, writer)) await store.put(part.key, part.body);
  return rows;
}

