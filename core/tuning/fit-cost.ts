/**
 * Predicts fit and scoring seconds from measured fold fits, so a search stops before a fit that
 * would overrun its deadline and the refit is sized to the time left. Rates are the highest seen
 * (per training row; scoring per validation row, times the training rows for lazy learners such
 * as KNN, whose scoring searches them), so a guess errs long rather than short.
 */
export class FitCost {
  private fitRate = 0;
  private scoreRate = 0;
  measured = false;

  constructor(private readonly lazy = false) {}

  record(trainRows: number, fitSeconds: number, valRows: number, scoreSeconds: number): void {
    this.fitRate = Math.max(this.fitRate, fitSeconds / Math.max(1, trainRows));
    this.scoreRate = Math.max(this.scoreRate, scoreSeconds / Math.max(1, valRows * (this.lazy ? trainRows : 1)));
    this.measured = true;
  }

  /** Seconds to fit on `rows` rows. */
  fit(rows: number): number {
    return this.fitRate * rows;
  }

  /** Seconds to fit on `trainRows` rows and score `valRows`. */
  fold(trainRows: number, valRows: number): number {
    return this.fit(trainRows) + this.scoreRate * valRows * (this.lazy ? trainRows : 1);
  }

  /** Most rows a fit can take in `seconds` (Infinity before any measurement). */
  rowsWithin(seconds: number): number {
    return this.fitRate > 0 ? Math.floor(seconds / this.fitRate) : Infinity;
  }
}
