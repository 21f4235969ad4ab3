import { getJson, putJson } from '../artifacts/json.js';
import type { ModelJSON } from '../models/model.js';
import type { ArtifactStore } from '../ports/artifact-store.js';
import type { AliasChange, AliasChangeResult, AliasState, ModelManifest, ModelRegistry, ThresholdChange } from '../ports/model-registry.js';
import { AliasLog } from './alias-log.js';
import { decodeRowSet, encodeRowSet } from './training-rows.js';

// v2: the hashes of training-rows.ts since its mixing was mended; a version holding only the older
// file is read as unrecorded, so its rows are hashed again from its run's train split.
const TRAINING_ROWS = 'training-rows-v2.bin';
import { ThresholdLog, trainedThreshold, type ThresholdEvent, type ThresholdState } from './threshold-log.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

function checkName(name: string): string {
  if (!NAME.test(name)) throw new Error(`bad model name "${name}": letters, digits, '.', '_' and '-' only`);
  return name;
}

/**
 * Model versions kept in the artifact store:
 *   models/<name>/v<N>/claim.json     which run took version N (created only if absent)
 *   models/<name>/v<N>/model.json     the pipeline
 *   models/<name>/v<N>/training-rows-v2.bin  hashes of the rows it was fitted on (training-rows.ts)
 *   models/<name>/v<N>/manifest.json  written last: a version without it is not visible
 *   models/<name>/aliases/<alias>/<seq>.json  the alias's append-only change log (alias-log.ts)
 *   models/<name>/v<N>/threshold/<seq>.json   the version's threshold changes (threshold-log.ts)
 * A run that retries after a crash finds its claim and finishes the same version.
 */
export class ArtifactRegistry implements ModelRegistry {
  private readonly aliases: AliasLog;
  private readonly thresholds: ThresholdLog;
  constructor(private readonly store: ArtifactStore) {
    this.aliases = new AliasLog(store);
    this.thresholds = new ThresholdLog(store);
  }

  async register(name: string, model: ModelJSON, info: Omit<ModelManifest, 'name' | 'version' | 'createdAt'>, trainingRows?: Float64Array): Promise<ModelManifest> {
    checkName(name);
    const version = await this.claim(name, info.runId);
    const dir = `models/${name}/v${version}`;
    const existing = await getJson<ModelManifest>(this.store, `${dir}/manifest.json`);
    if (existing) return existing;
    await putJson(this.store, `${dir}/model.json`, model);
    if (trainingRows) await this.store.put(`${dir}/${TRAINING_ROWS}`, encodeRowSet(trainingRows));
    const manifest: ModelManifest = { ...info, name, version, createdAt: new Date().toISOString() };
    await putJson(this.store, `${dir}/manifest.json`, manifest, { ifAbsent: true });
    return (await getJson<ModelManifest>(this.store, `${dir}/manifest.json`))!;
  }

  /** The version this run holds, or the next free one, taken with a create-if-absent write. */
  private async claim(name: string, runId: string): Promise<number> {
    const claimed = await this.claims(name);
    const mine = claimed.find((c) => c.runId === runId);
    if (mine) return mine.version;
    let version = claimed.reduce((m, c) => Math.max(m, c.version), 0) + 1;
    for (;;) {
      const { created } = await putJson(this.store, `models/${name}/v${version}/claim.json`, { runId }, { ifAbsent: true });
      if (created) return version;
      const other = await getJson<{ runId: string }>(this.store, `models/${name}/v${version}/claim.json`);
      if (other?.runId === runId) return version;
      version++;
    }
  }

  private async claims(name: string): Promise<{ version: number; runId: string }[]> {
    const keys = (await this.store.list(`models/${name}/`)).filter((k) => /\/v\d+\/claim\.json$/.test(k));
    const out = await Promise.all(
      keys.map(async (k) => ({ version: Number(/\/v(\d+)\//.exec(k)![1]), runId: (await getJson<{ runId: string }>(this.store, k))!.runId })),
    );
    return out.sort((a, b) => a.version - b.version);
  }

  async trainingRows(name: string, version: number): Promise<Float64Array | undefined> {
    const bytes = await this.store.get(`models/${checkName(name)}/v${version}/${TRAINING_ROWS}`);
    return bytes && decodeRowSet(bytes);
  }

  async versions(name: string): Promise<ModelManifest[]> {
    const keys = (await this.store.list(`models/${checkName(name)}/`)).filter((k) => /\/v\d+\/manifest\.json$/.test(k));
    const manifests = await Promise.all(keys.map((k) => getJson<ModelManifest>(this.store, k)));
    return manifests.filter((m): m is ModelManifest => !!m).sort((a, b) => a.version - b.version);
  }

  async get(name: string, ref: number | string): Promise<{ manifest: ModelManifest; model: ModelJSON } | undefined> {
    const version = typeof ref === 'number' ? ref : /^v?\d+$/.test(ref) ? Number(ref.replace('v', '')) : await this.alias(name, ref);
    if (version === undefined) return undefined;
    const dir = `models/${checkName(name)}/v${version}`;
    const manifest = await getJson<ModelManifest>(this.store, `${dir}/manifest.json`);
    const model = manifest && (await getJson<ModelJSON>(this.store, `${dir}/model.json`));
    return manifest && model ? { manifest, model } : undefined;
  }

  async changeAlias(name: string, alias: string, change: AliasChange): Promise<AliasChangeResult> {
    checkName(name);
    checkName(alias);
    if ('version' in change && !(await this.store.exists(`models/${name}/v${change.version}/manifest.json`))) throw new Error(`${name} has no version ${change.version}`);
    return this.aliases.change(name, alias, change);
  }

  aliasState(name: string, alias: string): Promise<AliasState> {
    return this.aliases.state(checkName(name), checkName(alias));
  }

  alias(name: string, alias: string): Promise<number | undefined> {
    return this.aliases.version(checkName(name), checkName(alias));
  }

  private async manifest(name: string, version: number): Promise<ModelManifest | undefined> {
    return getJson<ModelManifest>(this.store, `models/${checkName(name)}/v${version}/manifest.json`);
  }

  async threshold(name: string, version: number): Promise<{ threshold: number; seq: number } | undefined> {
    const m = await this.manifest(name, version);
    return m && this.thresholds.current(name, version, trainedThreshold(m));
  }

  async thresholdState(name: string, version: number): Promise<ThresholdState | undefined> {
    const m = await this.manifest(name, version);
    return m && this.thresholds.state(name, version, trainedThreshold(m));
  }

  async changeThreshold(name: string, version: number, change: ThresholdChange): Promise<{ event: ThresholdEvent; state: ThresholdState }> {
    const m = await this.manifest(name, version);
    if (!m) throw new Error(`${name} has no version ${version}`);
    return this.thresholds.change(name, version, trainedThreshold(m), change);
  }

  async names(): Promise<string[]> {
    const keys = await this.store.list('models/');
    return [...new Set(keys.filter((k) => k.endsWith('/manifest.json')).map((k) => k.split('/')[1]))].sort();
  }
}
