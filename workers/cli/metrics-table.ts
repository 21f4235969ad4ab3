import type { RegisterResult } from '../../schema/jobs.js';

/** The end-of-run summary: the chosen family, its test metrics, the registered version and any family that failed. */
export function metricsTable(runId: string, r: RegisterResult): string {
  const rows = Object.entries(r.metrics).map(([k, v]) => `  ${k.padEnd(10)} ${v.toFixed(4)}`);
  const status = r.promoted ? 'production' : 'candidate';
  const refit = r.refitAll ? ['  (metrics on the held-out rows; the registered pipeline was then refitted on all rows)'] : [];
  const failed = r.failures.length ? [`partial run: ${r.failures.length} famil${r.failures.length === 1 ? 'y' : 'ies'} failed`, ...r.failures.map((f) => `  ${f.family}: ${f.error}`)] : [];
  return [`run ${runId}: best ${r.best}`, ...rows, ...refit, `model version v${r.version} (${status}: ${r.reason})`, ...failed].join('\n');
}
