/** Deterministic artifact keys of a run: a retried stage overwrites the same objects. */
export function runKeys(runId: string) {
  const base = `runs/${runId}`;
  return {
    spec: `${base}/run.json`,
    tracking: `${base}/tracking.json`,
    familyTracking: (family: string) => `${base}/train/${family}/tracking.json`,
    dataset: `${base}/ingest/dataset.tmds`,
    ingestIssues: `${base}/ingest/issues.json`,
    ingestSummary: `${base}/ingest/summary.json`,
    validation: `${base}/validate/report.json`,
    drift: `${base}/validate/drift.json`,
    /** With feedback rows: how the split used them (copies, train and test rows). */
    feedbackSplit: `${base}/validate/feedback.json`,
    train: `${base}/validate/train.tmds`,
    test: `${base}/validate/test.tmds`,
    transform: `${base}/transform/summary.json`,
    familyPipeline: (family: string) => `${base}/train/${family}/pipeline.json`,
    familyResult: (family: string) => `${base}/train/${family}/result.json`,
    /** The family's out-of-fold threat scores (core/decision/oof-codec.ts). */
    familyOof: (family: string) => `${base}/train/${family}/oof.tmof`,
    trainSummary: `${base}/train/summary.json`,
    metrics: `${base}/evaluate/metrics.json`,
    /** ROC and PR curves, confusion at the threshold, reliability curves of the registered pipeline. */
    operatingPoint: `${base}/evaluate/operating-point.json`,
    /** Written when the run is cancelled: when and why. */
    cancelled: `${base}/cancelled.json`,
  };
}
