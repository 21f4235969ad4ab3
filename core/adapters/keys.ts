/** Rejects keys that could escape the store or are not plain '/'-separated paths. */
export function checkKey(key: string): string {
  if (!key || key.startsWith('/') || key.split('/').some((p) => p === '' || p === '.' || p === '..') || key.includes('\\')) {
    throw new Error(`bad artifact key "${key}": use a relative path like runs/<id>/stage/file.json`);
  }
  return key;
}
