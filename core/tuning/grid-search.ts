import type { Dataset } from '../data/frame.js';
import { threatOutcomes, threatScores } from '../calibration/threat-score.js';
import { selectionScore } from '../metrics/selection-score.js';
import { isStaged, type Classifier } from '../models/model.js';
import { Pipeline } from '../models/pipeline.js';
import { createModel } from '../models/registry.js';
import { NATIVE_CATEGORICAL_KINDS, Preprocessor } from '../transform/preprocessor.js';
import { familyDeadline, NoTimeLeftError } from './budget.js';
import { LARGE_ROWS, MAX_MATRIX_BYTES, type Family } from './families.js';
import { FitCost, rowsWithin } from './fit-cost.js';
import { FoldCache } from './fold-cache.js';
import { expandGrid, groupByStage, type Params } from './grid.js';
import { halvingRounds, type HalvingOptions, type HalvingRound } from './halving.js';

export interface ConfigScore {
  params: Params;
  /** Mean over folds of the selection F1 (threat-class F1, or macro-F1 when multi-class). */
  cvF1: number;
  cvF1Sd: number;
  /** Rows of the sample the folds were cut from (successive halving grows them round by round). */
  rows: number;
}

/** Threat scores of the best config on each fold's validation rows (out-of-fold), in fold order. */
export interface OofScores {
  score: Float64Array;
  isThreat: Uint8Array;
  fold: Uint8Array;
}

export interface FamilyResult {
  family: string;
  params: Params;
  cvF1: number;
  cvF1Sd: number;
  /** Every config scored, in the order scored (a config can appear once per halving round). */
  configs: ConfigScore[];
  /** Refit with the best params on all training rows (or `refitRows` of them when time was short). */
  pipeline: Pipeline;
  /** Wall time of the CV search plus the refit. */
  searchSeconds: number;
  fitSeconds: number;
  /** Rows of the sample the best config was scored on. */
  rows: number;
  refitRows: number;
  /** Whether the deadline cut the search short. */
  stoppedEarly: boolean;
  /** What the search changed for this data (row caps, smaller grids, a cut search), in words for the run summary. */
  notes: string[];
  /** The best config's out-of-fold threat scores (from the CV that chose it: `rows` rows). */
  oof: OofScores;
}

export interface SearchProgress {
  family: string;
  done: number;
  total: number;
  /** Seconds left before the family's deadline, when it has one. */
  secondsLeft?: number;
}

export interface SearchOptions {
  /** CV folds. Default 3 (as the old system). */
  folds?: number;
  seed?: number;
  /**
   * Epoch ms by which the search must be done (searchFamily: this family's search and refit;
   * searchInTurn: every family's, shared out by weight). Default: no limit.
   */
  deadline?: number;
  halving?: HalvingOptions;
  /** Bytes of model matrices a family's search may hold at once (see MAX_MATRIX_BYTES, the default). */
  maxMatrixBytes?: number;
  /** Class indices of the threat classes, for the out-of-fold threat score. Default: the positive class. */
  threatClasses?: number[];
  onProgress?: (p: SearchProgress) => void;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));
const int = (n: number) => n.toLocaleString('en-US');

/** Rows of the probe fit that measures a family's cost before a search with a deadline is planned. */
export const PROBE_ROWS = 1000;

/**
 * Searches one family's grid by successive halving with stratified k-fold CV (each round scores
 * the surviving configs on 3 times more rows and keeps the best third) and refits the best config
 * on all rows. With a deadline (`opts.deadline`): probe fits of the first config (at its smallest
 * ensemble size) on PROBE_ROWS rows (never stopped, so a family that starts always ends with a
 * model) and on 3 times that measure the cost,
 * the plan shrinks the first round's rows and the ensemble sizes until the rounds and the refit fit
 * in the time, no fit starts that would overrun it (one that does is stopped), and the refit takes
 * as many rows as the time left allows. The best config is the best of the last round that scored
 * any (on the folds it finished), else the probe's.
 */
export async function searchFamily(family: Family, data: Dataset, cache: FoldCache, opts: SearchOptions = {}): Promise<FamilyResult> {
  const started = Date.now();
  const deadline = opts.deadline ?? Infinity;
  if (deadline <= started) throw new NoTimeLeftError(family.kind);
  // Fold fits stop a little before the deadline: what cannot be stopped (data preparation, scoring) fits in the rest.
  const stopBy = started + 0.95 * (deadline - started);
  const notes: string[] = [];
  if (family.maxRows && data.labels.length > family.maxRows) {
    notes.push(`${family.kind}: searched and fitted on a stratified sample of ${int(family.maxRows)} of ${int(data.labels.length)} rows (its row cap)`);
    data = cache.subsample(family.maxRows);
    cache = new FoldCache(data, cache.k, opts.seed ?? 42);
  }
  const n = data.labels.length;
  const K = data.classes.length;
  const k = cache.k;
  const large = n >= LARGE_ROWS && family.largeGrid !== undefined;
  if (large) notes.push(`${family.kind}: ${int(n)} rows, so the smaller grid for large data`);
  const configs = expandGrid(large ? family.largeGrid! : family.grid).map((p) => ({ ...family.fixed, ...p }));
  let alive = groupByStage(configs, family.stageParam);
  // The grid's largest ensemble size (every group has the same sizes), before a plan trims it.
  const gridTopStage = alive[0].stages.length ? alive[0].stages[alive[0].stages.length - 1] : undefined;
  const cost = new FitCost(family.lazy, family.rowPower);
  const native = NATIVE_CATEGORICAL_KINDS.has(family.kind);
  // Model matrices are bounded in memory: a round's k cached folds, and the refit, hold at most
  // MAX_MATRIX_BYTES of float32 cells (the width is the preprocessed one: one-hot columns count).
  const width = cache.get(Math.min(n, PROBE_ROWS), 0, family.scale, native).Xtrain.cols;
  const memRows = Math.max(PROBE_ROWS, Math.floor((opts.maxMatrixBytes ?? MAX_MATRIX_BYTES) / (4 * width)));
  const searchRows = Math.min(n, Math.floor(memRows / k));
  const refitMax = Math.min(n, memRows);
  if (searchRows < n) notes.push(`${family.kind}: ${width} model columns, so searched on at most ${int(searchRows)} and refitted on at most ${int(refitMax)} rows (memory cap)`);
  let rounds = halvingRounds(alive.length, searchRows, opts.halving);
  // The probes fit the grid's smallest ensemble size (cheap: 10 classes x 300 rounds would be 3,000
  // trees a probe); a fit of size s costs about s / refStage of that.
  const threat = opts.threatClasses ?? [data.positiveClass];
  const refStage = !family.lazy && alive[0].stages.length ? alive[0].stages[0] : 0;
  const ratioOf = (stage: unknown) => (refStage && typeof stage === 'number' ? stage / refStage : 1);
  const groupRatio = (g: Group) => ratioOf(g.stages[g.stages.length - 1]);
  let refitReserve = 0;
  // Fits of the rounds, all at the (possibly trimmed) largest ensemble size: once measured, a closer
  // guide than the probes scaled by size (a fit's fixed part does not shrink with the size).
  const roundCost = new FitCost(family.lazy, family.rowPower);
  const foldSeconds = (trainRows: number, valRows: number, g: Group) =>
    roundCost.measured ? roundCost.fold(trainRows, valRows) : cost.fold(trainRows, valRows) * groupRatio(g);
  // The probe's score is the fallback when the deadline leaves nothing better.
  let fallback: (ConfigScore & { oof: OofScores }) | undefined;
  if (Number.isFinite(deadline)) {
    const probe = { ...alive[0], stages: alive[0].stages.slice(0, 1) };
    const fit = (rows: number, until: number) => scoreGroup(family, probe, cache, rows, 1, K, data.positiveClass, threat, cost, until, () => undefined);
    const probeRows = Math.min(rounds[0].rows, PROBE_ROWS);
    fallback = (await fit(probeRows, Infinity)).map(({ params, folds, oof }) => ({ params, cvF1: folds[0], cvF1Sd: 0, rows: probeRows, oof })).reduce((a, b) => (b.cvF1 > a.cvF1 ? b : a));
    // A second, bigger probe (stopped at the deadline) separates the fixed cost of a fit from its cost per row.
    if (rounds[0].rows > probeRows) await fit(Math.min(rounds[0].rows, 3 * PROBE_ROWS), stopBy);
    ({ rounds, alive, refitReserve } = planSearch(family, rounds, alive, searchRows, refitMax, k, cost, (stopBy - Date.now()) / 1000, notes, opts.halving));
  }
  const total = rounds.reduce((s, r) => s + r.candidates * k, 0) + 1;
  const scored: ConfigScore[] = [];
  let best: (ConfigScore & { oof: OofScores }) | undefined;
  let done = 0;
  let stoppedEarly = false;
  const progress = () =>
    opts.onProgress?.({ family: family.kind, done, total, secondsLeft: Number.isFinite(deadline) ? Math.max(0, Math.round((deadline - Date.now()) / 1000)) : undefined });

  for (const round of rounds) {
    const trainRows = Math.round((round.rows * (k - 1)) / k);
    const valRows = round.rows - trainRows;
    const ranked: { group: Group; top: ConfigScore & { oof: OofScores } }[] = [];
    for (const group of alive.slice(0, round.candidates)) {
      // Folds not built yet for this round's rows are preprocessed first (measured as they are built).
      let unbuilt = 0;
      for (let f = 0; f < k; f++) if (!cache.holds(round.rows, f, family.scale, native)) unbuilt++;
      const prepSeconds = cache.prep.measured ? unbuilt * cache.prep.fit(round.rows) : 0;
      if (cost.measured && Date.now() + 1000 * (k * foldSeconds(trainRows, valRows, group) + prepSeconds + refitReserve) > stopBy && (best || ranked.length)) {
        stoppedEarly = true;
        break;
      }
      const perStage = await scoreGroup(family, group, cache, round.rows, k, K, data.positiveClass, threat, roundCost, stopBy, () => {
        done++;
        progress();
      });
      const complete = perStage[0].folds.length === k;
      // A group the deadline cut short still counts when nothing else was scored: best so far.
      if (complete || (!best && !ranked.length && perStage[0].folds.length)) {
        const results = perStage.map(({ params, folds, oof }) => ({ params, cvF1: mean(folds), cvF1Sd: sd(folds), rows: round.rows, oof }));
        for (const { oof: _, ...r } of results) scored.push(r);
        // Highest mean wins; the first config in grid order wins ties.
        ranked.push({ group, top: results.reduce((a, b) => (b.cvF1 > a.cvF1 ? b : a)) });
      }
      if (!complete) {
        stoppedEarly = true;
        break;
      }
    }
    if (ranked.length) best = ranked.reduce((a, b) => (b.top.cvF1 > a.top.cvF1 ? b : a)).top;
    if (stoppedEarly) break;
    // Stable sort: equal scores keep grid order.
    alive = ranked.sort((a, b) => b.top.cvF1 - a.top.cvF1).map((r) => r.group);
  }
  if (!best && fallback) {
    best = fallback;
    const { oof: _, ...score } = fallback;
    scored.push(score);
  }
  if (!best) throw new NoTimeLeftError(family.kind);
  if (stoppedEarly) notes.push(`${family.kind}: time budget reached after ${scored.length} config scores; best so far kept (scored on ${int(best.rows)} rows)`);

  const fitStarted = Date.now();
  const refitSeconds = (0.9 * (deadline - fitStarted)) / 1000;
  // The refit preprocesses its rows (as a fold did) and fits them: both count.
  const bestRatio = ratioOf(family.stageParam && best.params[family.stageParam]);
  const fitEstimate = (rows: number) => (roundCost.measured ? roundCost.fit(rows) : cost.measured ? cost.fit(rows) * bestRatio : 0);
  const affordable = rowsWithin(refitSeconds, (rows) => fitEstimate(rows) + (cache.prep.measured ? cache.prep.fit(rows) : 0));
  const refitRows = Math.min(refitMax, Math.max(Math.min(best.rows, PROBE_ROWS), affordable));
  if (refitRows < n) notes.push(`${family.kind}: refit on a stratified sample of ${int(refitRows)} of ${int(n)} rows (${refitRows === refitMax ? 'memory cap' : 'time budget'})`);
  cache.release();
  const params = refitParams(family, best.params, alive, gridTopStage);
  if (params !== best.params) notes.push(`${family.kind}: refit with ${family.stageParam} up to ${params[family.stageParam!]} (the search stopped at ${best.params[family.stageParam!]} for time; early stopping and the deadline end it)`);
  const pipeline = await fitPipeline(family, params, cache.subsample(refitRows), deadline);
  for (const note of pipeline.model.fitNotes ?? []) notes.push(`${family.kind}: refit with ${note}`);
  const end = Date.now();
  done = total;
  progress();
  return {
    family: family.kind,
    params,
    cvF1: best.cvF1,
    cvF1Sd: best.cvF1Sd,
    configs: scored,
    pipeline,
    searchSeconds: (end - started) / 1000,
    fitSeconds: (end - fitStarted) / 1000,
    rows: best.rows,
    refitRows,
    stoppedEarly,
    notes,
    oof: best.oof,
  };
}

type Group = ReturnType<typeof groupByStage>[number];

/**
 * The refit's params: the best config's, except for a family that ends its own ensemble
 * (`refitToGridTop`: boosting stops on a validation share and at the deadline) whose best config
 * sat at the largest size a time-cut plan left: it refits up to the grid's largest. A search cut
 * to 50 rounds at learning rate 0.1 would otherwise register an under-fitted model.
 */
export function refitParams(family: Family, best: Params, alive: Group[], gridTopStage: number | undefined): Params {
  if (!family.refitToGridTop || !family.stageParam || gridTopStage === undefined) return best;
  const planTop = alive.reduce((m, g) => Math.max(m, g.stages[g.stages.length - 1] ?? 0), 0);
  const stage = best[family.stageParam];
  return planTop < gridTopStage && stage === planTop ? { ...best, [family.stageParam]: gridTopStage } : best;
}

/** planRounds for a family: ensemble sizes drop from its groups when the plan says so; notes say what changed. */
function planSearch(
  family: Family,
  rounds: HalvingRound[],
  alive: Group[],
  n: number,
  refitRows: number,
  k: number,
  cost: FitCost,
  seconds: number,
  notes: string[],
  halving?: HalvingOptions,
): { rounds: HalvingRound[]; alive: Group[]; refitReserve: number } {
  // Ensemble sizes set the fit cost of trees and boosting, not of KNN (lazy: the cost is in scoring).
  const stages = family.lazy ? [] : alive[0].stages;
  const plan = planRounds(rounds, n, refitRows, k, cost, seconds, stages, halving);
  if (plan.rounds[0].rows < rounds[0].rows) notes.push(`${family.kind}: first halving round on ${int(plan.rounds[0].rows)} rows to fit the time budget`);
  if (stages.length && plan.maxStage < stages[stages.length - 1]) {
    notes.push(`${family.kind}: ${family.stageParam} up to ${plan.maxStage} to fit the time budget`);
    alive = alive.map((g) => ({ ...g, stages: g.stages.filter((st) => st <= plan.maxStage) })).filter((g) => g.stages.length);
  }
  return { rounds: plan.rounds, alive, refitReserve: plan.refitReserve };
}

/** Rows below which a halving round's ranking is mostly noise: the plan trims ensemble sizes before going lower. */
const PLAN_MIN_ROWS = 2500;

/**
 * Halving rounds that fit in `seconds` with the refit (which gets at most half the time): the first
 * round's rows halve down to PLAN_MIN_ROWS, then the largest ensemble size searched (`stages`, whose
 * fit cost grows with it) drops, then the rows halve down to PROBE_ROWS, until the estimated cost
 * of every round fits (costs measured at the smallest size). Rounds cost about the same each (a
 * third of the configs on 3 times the rows).
 */
function planRounds(
  rounds: HalvingRound[],
  n: number,
  refitRows: number,
  k: number,
  cost: FitCost,
  seconds: number,
  stages: number[],
  halving?: HalvingOptions,
): { rounds: HalvingRound[]; maxStage: number; refitReserve: number } {
  // Costs were measured at the smallest size.
  const ref = stages.length ? stages[0] : 1;
  const top = stages.length ? stages[stages.length - 1] : 1;
  const searchSeconds = 0.9 * seconds - Math.min((cost.fit(refitRows) * top) / ref, seconds / 2);
  let maxStage = top;
  const estimate = (rs: HalvingRound[]) =>
    (maxStage / ref) * rs.reduce((s, r) => s + r.candidates * k * cost.fold(Math.round((r.rows * (k - 1)) / k), Math.round(r.rows / k)), 0);
  const shrinkTo = (floor: number) => {
    while (estimate(plan) > searchSeconds && plan[0].rows > floor) {
      const rows0 = Math.max(floor, Math.floor(plan[0].rows / 2));
      const next = halvingRounds(rounds[0].candidates, n, { ...halving, minRows: rows0, maxStartRows: rows0 });
      // Near all the rows, halving gives way to one full round: no smaller plan here.
      if (next[0].rows >= plan[0].rows) break;
      plan = next;
    }
  };
  let plan = rounds;
  shrinkTo(Math.min(PLAN_MIN_ROWS, plan[0].rows));
  for (let i = stages.length - 2; i >= 0 && estimate(plan) > searchSeconds; i--) maxStage = stages[i];
  shrinkTo(PROBE_ROWS);
  return { rounds: plan, maxStage, refitReserve: Math.min((cost.fit(refitRows) * maxStage) / ref, seconds / 2) };
}

/**
 * Scores one group (configs differing only in the stage param) on the first `folds` folds of the
 * `rows`-row sample, one fit per fold, recording their cost. A fit still running at the deadline is stopped (through its
 * progress callback) and the folds finished so far are returned.
 */
async function scoreGroup(
  family: Family,
  group: { base: Params; stages: number[] },
  cache: FoldCache,
  rows: number,
  folds: number,
  K: number,
  positiveClass: number,
  threat: number[],
  cost: FitCost,
  deadline: number,
  onFold: () => void,
): Promise<{ params: Params; folds: number[]; oof: OofScores }[]> {
  const staged = group.stages.length > 0;
  const paramsAt = (stage?: number) => (staged ? { ...group.base, [family.stageParam!]: stage } : group.base);
  const out = (staged ? group.stages : [undefined]).map((s) => ({ params: paramsAt(s), folds: [] as number[], scores: [] as Float64Array[] }));
  const outcomes: Uint8Array[] = [];
  const stopAtDeadline = () => {
    if (Date.now() > deadline) throw new FitStopped();
  };
  for (let f = 0; f < folds; f++) {
    if (f > 0 && Date.now() > deadline) break;
    const fold = cache.get(rows, f, family.scale, NATIVE_CATEGORICAL_KINDS.has(family.kind));
    const t0 = performance.now();
    const model = createModel(family.kind, staged ? paramsAt(group.stages[group.stages.length - 1]) : group.base);
    try {
      await model.fit(fold.Xtrain, fold.ytrain, { nClasses: K, deadline, onProgress: stopAtDeadline, categorical: fold.categorical });
    } catch (err) {
      if (err instanceof FitStopped) break;
      throw err;
    }
    const t1 = performance.now();
    const probas = staged && isStaged(model) ? model.predictProbaStaged(fold.Xval, group.stages) : [model.predictProba(fold.Xval)];
    cost.record(fold.ytrain.length, (t1 - t0) / 1000, fold.yval.length, (performance.now() - t1) / 1000);
    probas.forEach((proba, i) => {
      out[i].folds.push(selectionScore(fold.yval, proba, K, positiveClass));
      out[i].scores.push(threatScores(proba, K, threat));
    });
    outcomes.push(threatOutcomes(fold.yval, threat));
    onFold();
  }
  const isThreat = concat(outcomes, Uint8Array);
  const foldOf = new Uint8Array(isThreat.length);
  let at = 0;
  outcomes.forEach((o, f) => foldOf.fill(f, at, (at += o.length)));
  return out.map(({ params, folds, scores }) => ({ params, folds, oof: { score: concat(scores, Float64Array), isThreat, fold: foldOf } }));
}

function concat<T extends Float64Array | Uint8Array>(parts: T[], Type: new (n: number) => T): T {
  const out = new Type(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p as never, at);
    at += p.length;
  }
  return out;
}

/** Thrown from a fit's progress callback to stop a fold fit at the deadline. */
class FitStopped extends Error {}

/** Fits preprocessing and one model with `params` on all of `data`; iterative models stop adding epochs at `deadline`. */
export async function fitPipeline(family: Pick<Family, 'kind' | 'scale'>, params: Params, data: Dataset, deadline?: number): Promise<Pipeline> {
  const pre = Preprocessor.forModel(family.kind, { scale: family.scale });
  const X = pre.fitTransform(data.features);
  const model: Classifier = createModel(family.kind, params);
  await model.fit(X, data.labels, { nClasses: data.classes.length, deadline, categorical: pre.categoricalFeatures });
  return new Pipeline(pre, model, data.classes, data.positiveClass);
}

/**
 * Searches one family of `families` (the rest are the ones that start after it, in order) within
 * its share of a search deadline shared by `slots` families at a time (the `first` always gets a
 * minimal share): how training runs (one train-family job per family) search, and the benchmark's searchAll.
 */
export async function searchInTurn(family: Family, pending: Family[], first: boolean, data: Dataset, cache: FoldCache, slots: number, opts: SearchOptions): Promise<FamilyResult> {
  if (opts.deadline === undefined) return searchFamily(family, data, cache, opts);
  const deadline = familyDeadline(Date.now(), opts.deadline, [family, ...pending], slots, first);
  if (deadline === undefined) throw new NoTimeLeftError(family.kind);
  return searchFamily(family, data, cache, { ...opts, deadline });
}
