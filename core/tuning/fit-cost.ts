/** One measured fold: rows fitted and seconds, rows scored and seconds. */
interface Sample {
  trainRows: number;
  fitSeconds: number;
  valRows: number;
  scoreSeconds: number;
}

/**
 * Predicts fit and scoring seconds from measured fold fits, so a search stops before a fit that
 * would overrun its deadline and the refit is sized to the time left. Cost is affine in the rows
 * (a fixed part per fit, such as a tree's split search over bins, plus a part per row), drawn
 * through the slowest fit at the smallest and at the largest row count measured; with about one
 * row count, proportional to the rows. Scoring of lazy learners (KNN) grows with the training rows too.
 */
export class FitCost {
  private samples: Sample[] = [];

  constructor(private readonly lazy = false) {}

  get measured(): boolean {
    return this.samples.length > 0;
  }

  record(trainRows: number, fitSeconds: number, valRows: number, scoreSeconds: number): void {
    this.samples.push({ trainRows, fitSeconds, valRows, scoreSeconds });
  }

  /** Seconds to fit on `rows` rows. */
  fit(rows: number): number {
    return affine(this.samples, (s) => s.trainRows, (s) => s.fitSeconds)(rows);
  }

  /** Seconds to fit on `trainRows` rows and score `valRows`. */
  fold(trainRows: number, valRows: number): number {
    const work = (s: Pick<Sample, 'trainRows' | 'valRows'>) => s.valRows * (this.lazy ? s.trainRows : 1);
    return this.fit(trainRows) + affine(this.samples, work, (s) => s.scoreSeconds)(work({ trainRows, valRows }));
  }

  /** Most rows a fit can take in `seconds` (Infinity before any measurement). */
  rowsWithin(seconds: number): number {
    if (!this.measured) return Infinity;
    const base = this.fit(0);
    const perRow = this.fit(1_000_000) / 1_000_000 - base / 1_000_000;
    return perRow > 0 ? Math.max(0, Math.floor((seconds - base) / perRow)) : Infinity;
  }
}

/** The line through the slowest sample at the smallest and at the largest x (through 0 when the x are about the same). */
function affine(samples: Sample[], x: (s: Sample) => number, y: (s: Sample) => number): (at: number) => number {
  if (!samples.length) return () => 0;
  let lo = samples[0];
  let hi = samples[0];
  for (const s of samples) {
    if (x(s) < x(lo) || (x(s) === x(lo) && y(s) > y(lo))) lo = s;
    if (x(s) > x(hi) || (x(s) === x(hi) && y(s) > y(hi))) hi = s;
  }
  // Row counts this close (folds differ by a row) say nothing about the slope: proportional, at the slowest rate.
  if (x(hi) < 1.5 * x(lo)) {
    const rate = samples.reduce((r, s) => Math.max(r, y(s) / Math.max(1, x(s))), 0);
    return (at) => rate * at;
  }
  const slope = Math.max(0, (y(hi) - y(lo)) / (x(hi) - x(lo)));
  const base = Math.max(0, y(lo) - slope * x(lo));
  return (at) => base + slope * at;
}
