/** Successive halving (scikit-learn's HalvingGridSearchCV) over rows: what each round evaluates. */
export interface HalvingOptions {
  /** Keep the best 1/factor of candidates and multiply the rows by factor each round. Default 3 (scikit-learn's). */
  factor?: number;
  /** Rows of the first round at least (all rows when there are fewer): rankings on fewer rows are noise. Default 5,000. */
  minRows?: number;
  /** Rows of the first round at most, so big data starts cheap. Default 10,000. */
  maxStartRows?: number;
}

export interface HalvingRound {
  rows: number;
  candidates: number;
}

/**
 * The rounds for `candidates` configs on `nRows` rows. As scikit-learn's `min_resources='exhaust'`,
 * the first round's rows are chosen so the last round (one candidate) reaches every row, then kept
 * within [minRows, maxStartRows]. Rounds end at the one that uses every row or holds one candidate.
 * When the first round would take more than half the rows, one round scores every candidate on all.
 */
export function halvingRounds(candidates: number, nRows: number, opts: HalvingOptions = {}): HalvingRound[] {
  const { factor = 3, minRows = 5000, maxStartRows = 10_000 } = opts;
  let steps = 0;
  for (let c = candidates; c > 1; c = Math.ceil(c / factor)) steps++;
  const exhaust = Math.ceil(nRows / factor ** steps);
  let rows = Math.min(nRows, Math.max(minRows, Math.min(maxStartRows, exhaust)));
  // A first round on more than half the rows saves little and adds fits (a fit's fixed cost, per
  // tree, does not shrink with the rows): search every candidate on all rows instead.
  if (2 * rows > nRows) return [{ rows: nRows, candidates }];
  let left = candidates;
  const rounds: HalvingRound[] = [{ rows, candidates: left }];
  while (rows < nRows && left > 1) {
    rows = Math.min(nRows, rows * factor);
    left = Math.ceil(left / factor);
    rounds.push({ rows, candidates: left });
  }
  return rounds;
}
