import { takeDataset, type Column, type Dataset, type Frame } from '../../core/data/frame.js';
import { Rng } from '../../core/data/rng.js';
import type { DatasetSchemaInput } from '../../schema/index.js';

/**
 * Seeded traffic for the monitor's acceptance (issue 15): windows of served rows with their true
 * labels, unshifted, under covariate shift (P(x) moves, P(y | x) does not) and under concept shift
 * (P(y | x) moves for one segment). Used by core/monitoring/monitor-scenarios.test.ts and
 * `npm run bench:monitor`. Every window is a Dataset: its features and true labels.
 */

export interface WindowPlan {
  /** Windows drawn. */
  windows: number;
  /** Rows per window. */
  size: number;
  seed: number;
}

/** Unshifted replay: each window a bootstrap sample (uniform, with replacement) of `source`'s rows. */
export function replayWindows(source: Dataset, plan: WindowPlan): Dataset[] {
  return weightedWindows(source, plan, () => 1);
}

/** One condition of a covariate shift: rows whose `column` equals `value` are drawn `weight` times as often. */
export interface Condition {
  column: string;
  value: number | string;
  weight: number;
}

/**
 * Covariate shift by conditional re-sampling: rows are drawn with replacement, each with weight the
 * product of the weights of the conditions it meets (1 when none). Labels stay the rows' own, so
 * P(y | x) is unchanged while the feature mix moves.
 */
export function conditionalWindows(source: Dataset, plan: WindowPlan, conditions: Condition[]): Dataset[] {
  const frame = source.features;
  const tests = conditions.map((c) => {
    const col = frame.columns.find((x) => x.name === c.column);
    if (!col) throw new Error(`scenario: no column ${c.column}`);
    return { matches: matcher(col, c.value), weight: c.weight };
  });
  return weightedWindows(source, plan, (row) => tests.reduce((w, t) => (t.matches(row) ? w * t.weight : w), 1));
}

function matcher(col: Column, value: number | string): (row: number) => boolean {
  if (col.kind === 'numeric') return (row) => col.values[row] === Number(value);
  const code = col.categories.indexOf(String(value));
  return (row) => col.codes[row] === code;
}

function weightedWindows(source: Dataset, plan: WindowPlan, weightOf: (row: number) => number): Dataset[] {
  const n = source.labels.length;
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) cumulative[i] = total += weightOf(i);
  if (!(total > 0)) throw new Error('scenario: every row has weight 0');
  const rng = new Rng(plan.seed);
  return Array.from({ length: plan.windows }, () => {
    const idx = new Int32Array(plan.size);
    for (let k = 0; k < plan.size; k++) idx[k] = upperBound(cumulative, rng.next() * total);
    return takeDataset(source, idx);
  });
}

/** First index whose cumulative weight exceeds `x`. */
function upperBound(cumulative: Float64Array, x: number): number {
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cumulative[mid] > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Concept shift: a copy of a binary window whose labels are flipped on the rows that meet `segment`
 * (threat <-> benign), features untouched: the model's scores stay as they were, its errors do not.
 */
export function flipLabels(window: Dataset, segment: Condition | ((frame: Frame, row: number) => boolean)): Dataset {
  if (window.classes.length !== 2) throw new Error('scenario: label flips need two classes');
  let inSegment: (row: number) => boolean;
  if (typeof segment === 'function') inSegment = (row) => segment(window.features, row);
  else {
    const col = window.features.columns.find((x) => x.name === segment.column);
    if (!col) throw new Error(`scenario: no column ${segment.column}`);
    inSegment = matcher(col, segment.value);
  }
  const labels = Int32Array.from(window.labels, (y, row) => (y >= 0 && inSegment(row) ? 1 - y : y));
  return { ...window, labels };
}

/** Shifts of the synthetic mixed dataset. */
export interface MixedShift {
  /** Added to `amount_z` before it is exponentiated, in standard deviations of the training data. Default 0. */
  numeric?: number;
  /** Share of rows whose `protocol` is replaced by `icmp` (rare in training). Default 0. */
  category?: number;
}

export const MIXED_PROTOCOLS = ['tcp', 'udp', 'icmp', 'gre'];
const PROTOCOL_SHARE = [0.6, 0.3, 0.05, 0.05];
const PROTOCOL_LOGIT = [0, 0.8, 1.6, -0.5];
export const MIXED_REGIONS = ['eu', 'us', 'apac'];

/** The schema of `mixedDataset`, for registering a model on it through the real API. */
export const MIXED_SCHEMA: DatasetSchemaInput = {
  name: 'flows',
  features: [
    { name: 'bytes', kind: 'numeric', min: 0 },
    { name: 'duration', kind: 'numeric', min: 0 },
    { name: 'ports', kind: 'numeric', min: 0 },
    { name: 'protocol', kind: 'categorical', values: MIXED_PROTOCOLS },
    { name: 'region', kind: 'categorical', values: MIXED_REGIONS },
  ],
  label: { name: 'label', classes: ['benign', 'threat'], threat: ['threat'] },
};

/**
 * A synthetic flow dataset: three numeric columns (log-normal `bytes`, `duration`, a count of
 * `ports`), two categorical (`protocol`, `region`), a binary label drawn from a fixed logistic model
 * of them (so P(y | x) is the same whatever the shift). `shift` moves `bytes` and `protocol` only:
 * covariate shift with a known answer.
 */
export function mixedDataset(rows: number, seed: number, shift: MixedShift = {}): Dataset {
  const rng = new Rng(seed);
  const bytes = new Float64Array(rows);
  const duration = new Float64Array(rows);
  const ports = new Float64Array(rows);
  const protocol = new Int32Array(rows);
  const region = new Int32Array(rows);
  const labels = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const z = rng.normal() + (shift.numeric ?? 0);
    bytes[i] = Math.round(800 * Math.exp(0.8 * z));
    duration[i] = Math.round(1000 * Math.max(0, 2 + rng.normal())) / 1000;
    ports[i] = Math.floor(-Math.log(1 - rng.next()) * 3);
    protocol[i] = rng.next() < (shift.category ?? 0) ? 2 : pick(rng, PROTOCOL_SHARE);
    region[i] = rng.int(MIXED_REGIONS.length);
    // A steep logistic model: most rows are clearly one class, as a good detector's traffic.
    const logit = 2 * (-1.2 + 3.2 * z - 1.2 * (duration[i] - 2) + 0.9 * (ports[i] - 3) + PROTOCOL_LOGIT[protocol[i]] + (region[i] === 2 ? 0.6 : 0));
    labels[i] = rng.next() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
  }
  return {
    features: {
      nRows: rows,
      columns: [
        { kind: 'numeric', name: 'bytes', values: bytes },
        { kind: 'numeric', name: 'duration', values: duration },
        { kind: 'numeric', name: 'ports', values: ports },
        { kind: 'categorical', name: 'protocol', codes: protocol, categories: MIXED_PROTOCOLS },
        { kind: 'categorical', name: 'region', codes: region, categories: MIXED_REGIONS },
      ],
    },
    labels,
    classes: ['benign', 'threat'],
    positiveClass: 1,
  };
}

function pick(rng: Rng, shares: number[]): number {
  let u = rng.next();
  for (let k = 0; k < shares.length - 1; k++) if ((u -= shares[k]) < 0) return k;
  return shares.length - 1;
}

/** The rows of a frame as JSON records (category names, numbers), as clients send them to /v1/predict/batch. */
export function toRecords(frame: Frame): Record<string, number | string | null>[] {
  return Array.from({ length: frame.nRows }, (_, row) =>
    Object.fromEntries(
      frame.columns.map((c) => {
        if (c.kind === 'numeric') return [c.name, Number.isNaN(c.values[row]) ? null : c.values[row]];
        return [c.name, c.codes[row] < 0 ? null : c.categories[c.codes[row]]];
      }),
    ),
  );
}

/** Rows per monitored window in the acceptance scenarios (why 2,000: README, "Monitoring: what raises an alert"). */
export const WINDOW_ROWS = 2000;

export type ScenarioKind = 'unshifted' | 'covariate' | 'concept';

/** A stream of windows for one model: `calm` ones first (the monitor's history), then `shifted` ones. */
export interface Scenario {
  name: string;
  kind: ScenarioKind;
  /** Which model serves it: the phishing one or the one fitted on `mixedDataset`. */
  model: 'phishing' | 'mixed';
  calm: Dataset[];
  shifted: Dataset[];
  /** Share of rows whose true label is sent back as feedback. */
  feedback: number;
}

/** Phishing covariate shift: pages without valid SSL and with foreign anchors drawn 3 and 2 times as often. */
export const PHISHING_COVARIATE: Condition[] = [
  { column: 'SSLfinal_State', value: -1, weight: 3 },
  { column: 'URL_of_Anchor', value: -1, weight: 2 },
];

/** Phishing concept shift: labels flipped for pages whose SSL state is "suspicious" (0; about 11 % of rows). */
export const PHISHING_CONCEPT: Condition = { column: 'SSLfinal_State', value: 0, weight: 1 };

/** The mixed dataset's shift: `bytes` up by half a standard deviation, 30 % of protocols turned to icmp. */
export const MIXED_COVARIATE: MixedShift = { numeric: 0.5, category: 0.3 };

/**
 * Issue 15's acceptance scenarios: on the phishing test rows (bootstrap windows) an unshifted
 * replay of 20 windows, a covariate shift and a concept shift (each after 2 calm windows); on the
 * synthetic mixed dataset, a covariate shift of one numeric and one categorical column.
 */
export function acceptanceScenarios(phishingTest: Dataset, o: { size?: number; seed?: number } = {}): Scenario[] {
  const size = o.size ?? WINDOW_ROWS;
  const seed = o.seed ?? 1;
  const calm = (k: number) => replayWindows(phishingTest, { windows: 2, size, seed: seed * 100 + k });
  return [
    { name: 'phishing unshifted', kind: 'unshifted', model: 'phishing', calm: [], shifted: replayWindows(phishingTest, { windows: 20, size, seed }), feedback: 1 },
    { name: 'phishing covariate', kind: 'covariate', model: 'phishing', calm: calm(1), shifted: conditionalWindows(phishingTest, { windows: 5, size, seed: seed + 1 }, PHISHING_COVARIATE), feedback: 1 },
    { name: 'phishing concept', kind: 'concept', model: 'phishing', calm: calm(2), shifted: replayWindows(phishingTest, { windows: 4, size, seed: seed + 2 }).map((w) => flipLabels(w, PHISHING_CONCEPT)), feedback: 0.2 },
    {
      name: 'mixed covariate',
      kind: 'covariate',
      model: 'mixed',
      calm: [0, 1].map((k) => mixedDataset(size, seed * 1000 + k)),
      shifted: [0, 1, 2, 3, 4].map((k) => mixedDataset(size, seed * 1000 + 10 + k, MIXED_COVARIATE)),
      feedback: 1,
    },
  ];
}

/** Training rows of the mixed dataset's model. */
export const mixedTraining = (seed = 7): Dataset => mixedDataset(10_000, seed);

/** Which rows of a window get feedback: a seeded `share` of them; -1 for the rest, else 1 threat / 0 benign. */
export function feedbackLabels(window: Dataset, share: number, seed: number): Int8Array {
  const rng = new Rng(seed);
  return Int8Array.from(window.labels, (y) => (rng.next() < share ? (y === window.positiveClass ? 1 : 0) : -1));
}
