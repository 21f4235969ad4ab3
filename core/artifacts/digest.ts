import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** sha256 hex of bytes or text, or of parts taken in order (`encodeDatasetParts`) without joining them. */
export function sha256(body: Uint8Array | string | readonly Uint8Array[]): string {
  const hash = createHash('sha256');
  if (Array.isArray(body)) for (const part of body) hash.update(part);
  else hash.update(body as Uint8Array | string);
  return hash.digest('hex');
}

/** JSON with object keys sorted, so equal values hash equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );
}

/** sha256 hex of a file's bytes, streamed, followed by `extra` (e.g. the canonical schema). */
export async function fileSha256(path: string, extra = ''): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.update(extra).digest('hex');
}
