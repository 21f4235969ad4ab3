import { takeRows, type Frame } from '../../core/data/frame.js';
import { Rng } from '../../core/data/rng.js';
import type { Pipeline } from '../../core/models/pipeline.js';

/** `n` rows drawn with replacement (seeded) from a frame. */
export function sampleRows(frame: Frame, n: number, seed = 7): Frame {
  const rng = new Rng(seed);
  return takeRows(frame, Int32Array.from({ length: n }, () => rng.int(frame.nRows)));
}

/**
 * Rows per second of in-process scoring (preprocessing + model): two warm-ups, then the median of
 * `reps` timed calls (fewer for slow models: timing stops after `budgetMs`, one call at least).
 */
export function rowsPerSecond(pipeline: Pipeline, frame: Frame, reps = 7, budgetMs = 10_000): number {
  const started = performance.now();
  pipeline.predictProba(frame);
  if (performance.now() - started < budgetMs / 4) pipeline.predictProba(frame);
  const times: number[] = [];
  for (let i = 0; i < reps && (i === 0 || performance.now() - started < budgetMs); i++) {
    const t = performance.now();
    pipeline.predictProba(frame);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return frame.nRows / (times[Math.floor(times.length / 2)] / 1000);
}
