import { createHash } from 'node:crypto';

/** sha256 hex of bytes or text. */
export function sha256(body: Uint8Array | string): string {
  return createHash('sha256').update(body).digest('hex');
}

/** JSON with object keys sorted, so equal values hash equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );
}
