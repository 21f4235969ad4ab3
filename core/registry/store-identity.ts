import { randomUUID } from 'node:crypto';
import { getJson, putJson } from '../artifacts/json.js';
import type { ArtifactStore } from '../ports/artifact-store.js';

const KEY = 'store.json';

/**
 * The artifact store's own id: a random id written once at `store.json` (create-if-absent, so
 * processes racing on a new store agree). Two processes share a store exactly when they read the
 * same id, whatever path or URL each uses to reach it (a volume mounted at different paths, an
 * S3 bucket through different endpoints); the location alone cannot tell that.
 */
export async function storeIdentity(store: ArtifactStore): Promise<string> {
  const existing = await getJson<{ id?: unknown }>(store, KEY);
  if (typeof existing?.id === 'string') return existing.id;
  await putJson(store, KEY, { id: randomUUID(), createdAt: new Date().toISOString() }, { ifAbsent: true });
  const id = (await getJson<{ id?: unknown }>(store, KEY))?.id;
  if (typeof id !== 'string') throw new Error(`the artifact store at ${store.location} has an unreadable ${KEY}`);
  return id;
}
