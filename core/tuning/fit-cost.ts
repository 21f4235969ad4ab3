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
 * row count, proportional to the rows. Beyond the largest row count measured, the part per row
 * grows as (rows / largest) ^ (`rowPower` - 1) (see Family.rowPower: trees of unlimited depth grow
 * deeper with the rows). Scoring of lazy learners (KNN) grows with the training rows too.
 */
export class FitCost {
  private samples: Sample[] = [];

  constructor(
    private readonly lazy = false,
    private readonly rowPower = 1,
  ) {}

  get measured(): boolean {
    return this.samples.length > 0;
  }

  record(trainRows: number, fitSeconds: number, valRows: number, scoreSeconds: number): void {
    this.samples.push({ trainRows, fitSeconds, valRows, scoreSeconds });
  }

  /** Seconds to fit on `rows` rows. */
  fit(rows: number): number {
    return affine(this.samples, (s) => s.trainRows, (s) => s.fitSeconds, this.rowPower)(rows);
  }

  /** Seconds to fit on `trainRows` rows and score `valRows`. */
  fold(trainRows: number, valRows: number): number {
    const work = (s: Pick<Sample, 'trainRows' | 'valRows'>) => s.valRows * (this.lazy ? s.trainRows : 1);
    return this.fit(trainRows) + affine(this.samples, work, (s) => s.scoreSeconds)(work({ trainRows, valRows }));
  }

  /** Most rows a fit can take in `seconds` (Infinity before any measurement or when the cost does not grow with the rows). */
  rowsWithin(seconds: number): number {
    return this.measured ? rowsWithin(seconds, (rows) => this.fit(rows)) : Infinity;
  }
}

/** Rows beyond which rowsWithin stops looking. */
const MAX_ROWS = 2 ** 31;

/** Most rows whose `cost` (growing with the rows) is within `seconds`; Infinity when the cost does not grow. */
export function rowsWithin(seconds: number, cost: (rows: number) => number): number {
  if (cost(0) > seconds) return 0;
  if (cost(MAX_ROWS) <= seconds) return cost(MAX_ROWS) > cost(0) ? MAX_ROWS : Infinity;
  let [lo, hi] = [0, MAX_ROWS];
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (cost(mid) <= seconds) lo = mid;
    else hi = mid;
  }
  return lo;
}

/**
 * The line through the slowest sample at the smallest and at the largest x (through 0 when the x
 * are about the same); beyond the largest x its part per x grows as (at / largest) ^ (power - 1).
 */
function affine(samples: Sample[], x: (s: Sample) => number, y: (s: Sample) => number, power = 1): (at: number) => number {
  if (!samples.length) return () => 0;
  let lo = samples[0];
  let hi = samples[0];
  for (const s of samples) {
    if (x(s) < x(lo) || (x(s) === x(lo) && y(s) > y(lo))) lo = s;
    if (x(s) > x(hi) || (x(s) === x(hi) && y(s) > y(hi))) hi = s;
  }
  // Row counts this close (folds differ by a row) say nothing about the slope: proportional, at the slowest rate.
  const top = Math.max(1, x(hi));
  const beyond = (at: number) => (power > 1 && at > top ? (at / top) ** (power - 1) : 1);
  if (x(hi) < 1.5 * x(lo)) {
    const rate = samples.reduce((r, s) => Math.max(r, y(s) / Math.max(1, x(s))), 0);
    return (at) => rate * at * beyond(at);
  }
  const slope = Math.max(0, (y(hi) - y(lo)) / (x(hi) - x(lo)));
  const base = Math.max(0, y(lo) - slope * x(lo));
  return (at) => base + slope * at * beyond(at);
}
