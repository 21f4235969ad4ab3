import { takeRows, type Dataset, type Frame } from '../data/frame.js';
import { pairedBootstrap, probaRows } from '../metrics/paired-bootstrap.js';
import { DEFAULT_CONFIDENCE, DEFAULT_MIN_ROWS, type ChampionComparison, type PromotionRule } from './promotion.js';
import { rowsOutside } from './training-rows.js';

/** Production as the comparison needs it: its version, predictions, and the rows it was trained on. */
export interface Champion {
  version: number;
  predictProba(frame: Frame): Float64Array;
  /** Sorted row hashes (training-rows.ts); undefined when its version predates them. */
  trainingRows: Float64Array | undefined;
}

/**
 * Scores candidate and production on the test rows production was not trained on (a seeded split
 * of changed data puts some of its training rows into this run's test set; a refit-on-all-rows
 * production was trained on every row it has seen) and bootstraps the difference.
 */
export function compareWithChampion(rule: PromotionRule, test: Dataset, testHashes: Float64Array, candidateProba: Float64Array, champion: Champion, seed = 0): ChampionComparison {
  const testRows = test.labels.length;
  const { version } = champion;
  if (!champion.trainingRows) {
    return { version, testRows, rows: 0, refused: `production v${version} has no record of its training rows (registered before they were kept, and its run's train split is gone), so it cannot be scored fairly; promote by hand` };
  }
  const rows = rowsOutside(testHashes, champion.trainingRows);
  const minRows = rule.minRows ?? DEFAULT_MIN_ROWS;
  if (rows.length < minRows) {
    return { version, testRows, rows: rows.length, refused: `only ${rows.length} of ${testRows} test rows lie outside production v${version}'s training rows (at least ${minRows} needed to compare)` };
  }
  const K = test.classes.length;
  const all = rows.length === testRows;
  const y = all ? test.labels : Int32Array.from(rows, (i) => test.labels[i]);
  const cand = all ? candidateProba : probaRows(candidateProba, K, rows);
  const champ = champion.predictProba(all ? test.features : takeRows(test.features, rows));
  const confidence = rule.confidence ?? DEFAULT_CONFIDENCE;
  const boot = pairedBootstrap(rule.metric, y, cand, champ, K, test.positiveClass, {
    seed,
    resamples: confidence === 0 ? 0 : rule.resamples,
    confidence: confidence || DEFAULT_CONFIDENCE,
  });
  return { version, testRows, ...boot, confidence };
}

