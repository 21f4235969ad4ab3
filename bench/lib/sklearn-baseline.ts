import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface SklearnRow {
  name: string;
  params: string;
  f1: number;
  accuracy: number;
  rocAuc: number;
  searchSeconds: number | null;
  fitSeconds: number;
  rowsPerSecond100k: number;
}

export interface SklearnBaseline {
  source: string;
  models: SklearnRow[];
  cv5: Record<string, { mean: number; sd: number }>;
}

type Raw = {
  models: {
    name: string;
    best_params: unknown;
    grid_search_wall_s: number | null;
    refit_best_s: number;
    test: { f1_phish: number; accuracy: number; roc_auc_phish: number };
    throughput_100k: { rows_per_s: number };
  }[];
  cv5: { results: Record<string, { f1_phish_mean: number; f1_phish_std: number }> };
};

/** scikit-learn's figures: from ../shared/baselines when present, else the copy in bench/fixtures. */
export function loadSklearnBaseline(): SklearnBaseline {
  const shared = fileURLToPath(new URL('../../../shared/baselines/sklearn_results.json', import.meta.url));
  const local = fileURLToPath(new URL('../fixtures/sklearn_results.json', import.meta.url));
  const source = existsSync(shared) ? shared : local;
  const raw = JSON.parse(readFileSync(source, 'utf8')) as Raw;
  return {
    source,
    models: raw.models.map((m) => ({
      name: m.name,
      params: JSON.stringify(m.best_params),
      f1: m.test.f1_phish,
      accuracy: m.test.accuracy,
      rocAuc: m.test.roc_auc_phish,
      searchSeconds: m.grid_search_wall_s ?? null,
      fitSeconds: m.refit_best_s,
      rowsPerSecond100k: m.throughput_100k.rows_per_s,
    })),
    cv5: Object.fromEntries(Object.entries(raw.cv5.results).map(([k, v]) => [k, { mean: v.f1_phish_mean, sd: v.f1_phish_std }])),
  };
}
