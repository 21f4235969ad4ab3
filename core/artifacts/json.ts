import type { ArtifactStore } from '../ports/artifact-store.js';

const decoder = new TextDecoder();

export async function putJson(store: ArtifactStore, key: string, value: unknown, opts?: { ifAbsent?: boolean }): Promise<{ created: boolean }> {
  return store.put(key, `${JSON.stringify(value, null, 2)}\n`, opts);
}

export async function getJson<T = unknown>(store: ArtifactStore, key: string): Promise<T | undefined> {
  const bytes = await store.get(key);
  return bytes === undefined ? undefined : (JSON.parse(decoder.decode(bytes)) as T);
}
