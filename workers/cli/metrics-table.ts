import type { RegisterResult } from '../../schema/jobs.js';

/** The end-of-run summary: the chosen family, its test metrics and the registered version. */
export function metricsTable(runId: string, r: RegisterResult): string {
  const rows = Object.entries(r.metrics).map(([k, v]) => `  ${k.padEnd(10)} ${v.toFixed(4)}`);
  const status = r.promoted ? 'production' : 'candidate';
  return [`run ${runId}: best ${r.best}`, ...rows, `model version v${r.version} (${status}: ${r.reason})`].join('\n');
}
