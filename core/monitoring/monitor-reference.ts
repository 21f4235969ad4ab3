import { decodeDataset } from '../artifacts/dataset-codec.js';
import { threatScores } from '../calibration/threat-score.js';
import { takeDataset, type Dataset } from '../data/frame.js';
import { stratifiedOrder, stratifiedSample } from '../data/stratified-order.js';
import { runKeys } from '../pipeline/run-keys.js';
import type { ArtifactStore } from '../ports/artifact-store.js';
import type { ModelRegistry } from '../ports/model-registry.js';
import { loadServedModel } from '../registry/served-model.js';
import { prepareReference, type PreparedColumn, type PreparedReference } from '../validation/drift/drift-report.js';
import { MONITORING_ROOT } from './window-store.js';

/**
 * What a served version's windows are compared with, built once per version and stored:
 * a stratified sample of the training run's train split (numeric columns pre-sorted, categorical
 * ones counted), the threat scores of its test rows (the prediction-drift reference), its test F1
 * and the threshold it was trained with.
 */
export interface MonitorReference {
  model: string;
  version: number;
  runId: string;
  builtAt: string;
  /** The version's test F1 (NaN when its manifest has none, as an imported model). */
  testF1: number;
  /** The threshold chosen at training (windows use the version's threshold at the time they are monitored). */
  threshold: number;
  /** Train-split rows of the run, and how many of them the sample keeps. */
  trainRows: number;
  features?: PreparedReference;
  /** Test rows scored, and their threat scores sorted ascending. */
  scores?: Float64Array;
  /** Why `features` or `scores` are absent (a version imported without its training run). */
  missing?: string;
}

export interface ReferenceOptions {
  /** Training rows kept (stratified by label). Default 20,000: drift tests on more move by < 1/sqrt(20k). */
  maxRows?: number;
  /** Test rows scored for the prediction-drift reference. Default 20,000. */
  maxScoreRows?: number;
  /** Seed of both samples. Default 42. */
  seed?: number;
}

/** Where a version's reference is kept. */
export const referenceKey = (model: string, version: number) => `${MONITORING_ROOT}${model}/reference/v${version}.bin`;

/** Builds a version's reference from its registry entry and its training run's artifacts. */
export async function buildReference(deps: { store: ArtifactStore; registry: ModelRegistry }, model: string, version: number, o: ReferenceOptions = {}): Promise<MonitorReference> {
  const entry = await deps.registry.get(model, version);
  if (!entry) throw new Error(`${model} has no version ${version}`);
  const { manifest } = entry;
  const seed = o.seed ?? 42;
  const keys = runKeys(manifest.runId);
  const f1 = manifest.metrics.f1;
  const out: MonitorReference = {
    model,
    version,
    runId: manifest.runId,
    builtAt: new Date().toISOString(),
    testF1: typeof f1 === 'number' ? f1 : NaN,
    threshold: manifest.operatingPoint?.threshold ?? (await deps.registry.threshold(model, version))?.threshold ?? 0.5,
    trainRows: 0,
  };
  const missing: string[] = [];
  const train = await deps.store.get(keys.train);
  if (train) {
    const data = decodeDataset(train);
    out.trainRows = data.labels.length;
    out.features = prepareReference(sample(data, o.maxRows ?? 20_000, seed).features);
  } else missing.push(`run ${manifest.runId} kept no train split (${keys.train}): feature drift is not measured`);
  const test = await deps.store.get(keys.test);
  const served = test && (await loadServedModel(deps.registry, deps.store, model, version));
  if (test && served) {
    const data = sample(decodeDataset(test), o.maxScoreRows ?? 20_000, seed);
    const proba = served.pipeline.predictProba(data.features);
    out.scores = threatScores(proba, served.pipeline.classes.length, served.threatClasses).sort();
  } else missing.push(`run ${manifest.runId} kept no test split (${keys.test}): prediction drift is not measured`);
  if (missing.length) out.missing = missing.join('; ');
  return out;
}

function sample(data: Dataset, rows: number, seed: number): Dataset {
  if (data.labels.length <= rows) return data;
  // Stratified on the label (missing labels, -1, as one more class).
  const labels = Int32Array.from(data.labels, (y) => y + 1);
  return takeDataset(data, Int32Array.from(stratifiedSample(stratifiedOrder(labels, seed), rows)).sort());
}

/** The stored reference of a version, built and stored on first use. */
export async function loadReference(deps: { store: ArtifactStore; registry: ModelRegistry }, model: string, version: number, o?: ReferenceOptions): Promise<MonitorReference> {
  const key = referenceKey(model, version);
  const bytes = await deps.store.get(key);
  if (bytes) return decodeReference(bytes);
  const ref = await buildReference(deps, model, version, o);
  await deps.store.put(key, encodeReference(ref));
  return ref;
}

/**
 * Stored form: a 4-byte little-endian header length, the JSON header (padded to 8 bytes), then the
 * sorted columns and scores as little-endian doubles, in header order (no parsing of numbers).
 */
export function encodeReference(ref: MonitorReference): Uint8Array {
  const arrays: Float64Array[] = [];
  const columns = ref.features?.columns.map((c) => {
    if (c.kind === 'categorical') return c;
    arrays.push(c.sorted);
    return { kind: c.kind, name: c.name, std: c.std, length: c.sorted.length };
  });
  if (ref.scores) arrays.push(ref.scores);
  const header = {
    ...ref,
    testF1: Number.isFinite(ref.testF1) ? ref.testF1 : null,
    features: ref.features && { nRows: ref.features.nRows, columns },
    scores: ref.scores ? ref.scores.length : undefined,
  };
  let json = Buffer.from(JSON.stringify(header));
  const pad = (8 - ((4 + json.length) % 8)) % 8;
  json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const size = Buffer.alloc(4);
  size.writeUInt32LE(json.length);
  return Buffer.concat([size, json, ...arrays.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength))]);
}

type StoredColumn = Extract<PreparedColumn, { kind: 'categorical' }> | { kind: 'numeric'; name: string; std: number; length: number };

export function decodeReference(bytes: Uint8Array): MonitorReference {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = buf.readUInt32LE(0);
  const header = JSON.parse(buf.subarray(4, 4 + size).toString('utf8')) as Omit<MonitorReference, 'features' | 'scores' | 'testF1'> & {
    testF1: number | null;
    features?: { nRows: number; columns: StoredColumn[] };
    scores?: number;
  };
  // One aligned copy of the numbers, each column a view of it (copied by hand: a Buffer's slice is a view of a shared pool).
  const copy = new Uint8Array(bytes.byteLength - 4 - size);
  copy.set(bytes.subarray(4 + size));
  if (copy.byteLength % 8) throw new Error(`monitor reference: ${copy.byteLength} bytes of numbers is not a multiple of 8`);
  const numbers = new Float64Array(copy.buffer);
  let at = 0;
  const take = (n: number) => numbers.subarray(at, (at += n));
  const features: PreparedReference | undefined = header.features && {
    prepared: true,
    nRows: header.features.nRows,
    columns: header.features.columns.map((c): PreparedColumn => (c.kind === 'categorical' ? c : { kind: 'numeric', name: c.name, std: c.std, sorted: take(c.length) })),
  };
  const scores = header.scores === undefined ? undefined : take(header.scores);
  if (at !== numbers.length) throw new Error(`monitor reference ${header.model} v${header.version}: ${numbers.length} numbers stored, ${at} described`);
  return { ...header, testF1: header.testF1 ?? NaN, features, scores };
}
