import { getJson, putJson } from '../artifacts/json.js';
import type { ModelJSON } from '../models/model.js';
import type { ArtifactStore } from '../ports/artifact-store.js';
import type { ModelManifest, ModelRegistry } from '../ports/model-registry.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

function checkName(name: string): string {
  if (!NAME.test(name)) throw new Error(`bad model name "${name}": letters, digits, '.', '_' and '-' only`);
  return name;
}

/**
 * Model versions kept in the artifact store:
 *   models/<name>/v<N>/claim.json     which run took version N (created only if absent)
 *   models/<name>/v<N>/model.json     the pipeline
 *   models/<name>/v<N>/manifest.json  written last: a version without it is not visible
 *   models/<name>/aliases/<alias>.json
 * A run that retries after a crash finds its claim and finishes the same version.
 */
export class ArtifactRegistry implements ModelRegistry {
  constructor(private readonly store: ArtifactStore) {}

  async register(name: string, model: ModelJSON, info: Omit<ModelManifest, 'name' | 'version' | 'createdAt'>): Promise<ModelManifest> {
    checkName(name);
    const version = await this.claim(name, info.runId);
    const dir = `models/${name}/v${version}`;
    const existing = await getJson<ModelManifest>(this.store, `${dir}/manifest.json`);
    if (existing) return existing;
    await putJson(this.store, `${dir}/model.json`, model);
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

  async setAlias(name: string, alias: string, version: number): Promise<void> {
    checkName(alias);
    if (!(await this.store.exists(`models/${checkName(name)}/v${version}/manifest.json`))) throw new Error(`${name} has no version ${version}`);
    const at = new Date().toISOString();
    const history = await this.aliasHistory(name, alias);
    await putJson(this.store, `models/${name}/aliases/${alias}.history.json`, [...history, { version, at }]);
    await putJson(this.store, `models/${name}/aliases/${alias}.json`, { version, at });
  }

  async aliasHistory(name: string, alias: string): Promise<{ version: number; at: string }[]> {
    return (await getJson<{ version: number; at: string }[]>(this.store, `models/${checkName(name)}/aliases/${checkName(alias)}.history.json`)) ?? [];
  }

  async alias(name: string, alias: string): Promise<number | undefined> {
    return (await getJson<{ version: number }>(this.store, `models/${checkName(name)}/aliases/${checkName(alias)}.json`))?.version;
  }

  async names(): Promise<string[]> {
    const keys = await this.store.list('models/');
    return [...new Set(keys.filter((k) => k.endsWith('/manifest.json')).map((k) => k.split('/')[1]))].sort();
  }
}
