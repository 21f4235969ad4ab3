const pad = (n: number) => String(n).padStart(6, '0');

/** Deterministic artifact keys of an async batch: a retried chunk overwrites its own result. */
export function batchKeys(batchId: string) {
  const base = `batches/${batchId}`;
  return {
    base: `${base}/`,
    meta: `${base}/batch.json`,
    summary: `${base}/summary.json`,
    input: (chunk: number) => `${base}/input/${pad(chunk)}.csv`,
    result: (chunk: number) => `${base}/results/${pad(chunk)}.csv`,
  };
}
