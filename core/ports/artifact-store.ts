/**
 * Where runs and models keep their files: a local directory or an S3 bucket. Keys are '/'-separated
 * paths readable by humans (`runs/<runId>/<stage>/...`, `models/<name>/v<N>/...`).
 * Writes are atomic: a reader sees a whole object or none.
 */
/** An object's contents: bytes, text, or parts taken in order. */
export type ArtifactBody = Uint8Array | string | readonly Uint8Array[];

export interface ArtifactStore {
  /** Where the store points, for logs (never holds credentials). */
  readonly location: string;
  /**
   * Writes an object. With `ifAbsent`, only when no object has that key (atomic create): returns
   * `{ created: false }` and writes nothing when it exists. A list of parts is written as their
   * concatenation without joining them in memory (a million-row dataset is ~340 MB; see
   * `encodeDatasetParts`).
   */
  put(key: string, body: ArtifactBody, opts?: { ifAbsent?: boolean }): Promise<{ created: boolean }>;
  /** The object's bytes, or undefined when there is none. */
  get(key: string): Promise<Uint8Array | undefined>;
  exists(key: string): Promise<boolean>;
  /** Keys under a prefix (ending in '/'), sorted. */
  list(prefix: string): Promise<string[]>;
  delete(key: string): Promise<void>;
}
