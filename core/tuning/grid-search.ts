import { availableParallelism } from 'node:os';
import type { Dataset } from '../data/frame.js';
import { stratifiedKFold } from '../data/split.js';
import { selectionScore } from '../metrics/selection-score.js';
import { isStaged, type Classifier } from '../models/model.js';
import { Pipeline } from '../models/pipeline.js';
import { createModel } from '../models/registry.js';
import { Preprocessor } from '../transform/preprocessor.js';
import type { Family } from './families.js';
import { FoldCache } from './fold-cache.js';
import { expandGrid, groupByStage, type Params } from './grid.js';
import { searchInThreads, type SearchOutcome } from './parallel-search.js';

export interface ConfigScore {
  params: Params;
  /** Mean over folds of the selection F1 (threat-class F1, or macro-F1 when multi-class). */
  cvF1: number;
  cvF1Sd: number;
}

export interface FamilyResult {
  family: string;
  params: Params;
  cvF1: number;
  cvF1Sd: number;
  configs: ConfigScore[];
  /** Refit on all training rows with the best params. */
  pipeline: Pipeline;
  /** Wall time of the CV search plus the refit. */
  searchSeconds: number;
  fitSeconds: number;
}

export interface SearchProgress {
  family: string;
  done: number;
  total: number;
}

export interface SearchOptions {
  /** CV folds. Default 3 (as the old system). */
  folds?: number;
  /** Worker threads searching families side by side; 1 searches in this thread. Default: the CPU count. */
  threads?: number;
  seed?: number;
  onProgress?: (p: SearchProgress) => void;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));

/** Scores one family's grid with stratified k-fold CV and refits the best config on all rows. */
export async function searchFamily(family: Family, data: Dataset, cache: FoldCache, opts: SearchOptions = {}): Promise<FamilyResult> {
  const started = performance.now();
  const K = data.classes.length;
  const configs = expandGrid(family.grid).map((p) => ({ ...family.fixed, ...p }));
  const groups = groupByStage(configs, family.stageParam);
  const scores = new Map<string, number[]>();
  const total = groups.length * cache.folds.length;
  let done = 0;
  for (const group of groups) {
    for (let f = 0; f < cache.folds.length; f++) {
      const fold = cache.get(f, family.scale);
      const top = group.stages.length ? { ...group.base, [family.stageParam!]: group.stages.reduce((a, b) => Math.max(a, b)) } : group.base;
      const model = createModel(family.kind, top);
      await model.fit(fold.Xtrain, fold.ytrain, { nClasses: K });
      const probas = group.stages.length && isStaged(model) ? model.predictProbaStaged(fold.Xval, group.stages) : [model.predictProba(fold.Xval)];
      probas.forEach((proba, i) => {
        const params = group.stages.length ? { ...group.base, [family.stageParam!]: group.stages[i] } : group.base;
        const key = JSON.stringify(params);
        scores.set(key, [...(scores.get(key) ?? []), selectionScore(fold.yval, proba, K, data.positiveClass)]);
      });
      opts.onProgress?.({ family: family.kind, done: ++done, total: total + 1 });
    }
  }
  const ranked: ConfigScore[] = [...scores].map(([key, s]) => ({ params: JSON.parse(key) as Params, cvF1: mean(s), cvF1Sd: sd(s) }));
  // Highest mean wins; the first config in grid order wins ties.
  const best = ranked.reduce((a, b) => (b.cvF1 > a.cvF1 ? b : a));
  const fitStarted = performance.now();
  const pipeline = await fitPipeline(family, best.params, data);
  const end = performance.now();
  opts.onProgress?.({ family: family.kind, done: total + 1, total: total + 1 });
  return {
    family: family.kind,
    params: best.params,
    cvF1: best.cvF1,
    cvF1Sd: best.cvF1Sd,
    configs: ranked,
    pipeline,
    searchSeconds: (end - started) / 1000,
    fitSeconds: (end - fitStarted) / 1000,
  };
}

/** Fits preprocessing and one model with `params` on all of `data`. */
export async function fitPipeline(family: Pick<Family, 'kind' | 'scale'>, params: Params, data: Dataset): Promise<Pipeline> {
  const pre = new Preprocessor({ scale: family.scale });
  const X = pre.fitTransform(data.features);
  const model: Classifier = createModel(family.kind, params);
  await model.fit(X, data.labels, { nClasses: data.classes.length });
  return new Pipeline(pre, model, data.classes, data.positiveClass);
}

/**
 * Searches every family on the same folds, on `threads` worker threads when more than one.
 * A family that fails is reported and the rest go on.
 */
export async function searchAll(families: Family[], data: Dataset, opts: SearchOptions = {}): Promise<SearchOutcome> {
  const threads = Math.min(opts.threads ?? availableParallelism(), families.length);
  if (threads > 1) return searchInThreads(families, data, threads, opts);
  const cache = new FoldCache(data, stratifiedKFold(data.labels, opts.folds ?? 3, opts.seed ?? 42));
  const results: FamilyResult[] = [];
  const failures: { family: string; error: string }[] = [];
  for (const family of families) {
    try {
      results.push(await searchFamily(family, data, cache, opts));
    } catch (err) {
      failures.push({ family: family.kind, error: (err as Error).message });
    }
  }
  return { results, failures };
}
