import { createHash, randomFillSync } from 'node:crypto';

/**
 * Prediction ids are UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits, so
 * they sort by time and never collide across API processes without any coordination. The ids of
 * one request (or one async batch) share their time and first 26 random bits; their last 48 bits
 * are a random base plus the row's index, so a request's ids are made with one random draw and
 * stay in row order.
 */
export interface IdRange {
  /** `tttttttt-tttt-7rrr-vrrr-`: time, version, variant and the shared random bits. */
  prefix: string;
  /** Random start of the last 48 bits (row i adds i, modulo 2^48). */
  base: number;
  /** The ids' time, Unix ms. */
  ms: number;
}

const TWO_48 = 2 ** 48;
const hex = (n: number, digits: number) => n.toString(16).padStart(digits, '0');

/** The id range of a time and 10 random (or derived) bytes. */
function rangeOf(ms: number, bytes: Uint8Array): IdRange {
  const t = hex(ms, 12);
  const randA = ((bytes[0] << 4) | (bytes[1] >> 4)) & 0xfff;
  const randB = ((bytes[2] & 0x3f) << 8) | bytes[3]; // 14 bits after the variant's 2
  const variant = 0x8000 | randB; // 0b10 then the 14 bits
  let base = 0;
  for (let i = 4; i < 10; i++) base = base * 256 + bytes[i];
  return { prefix: `${t.slice(0, 8)}-${t.slice(8)}-7${hex(randA, 3)}-${hex(variant, 4)}-`, base, ms };
}

/**
 * Random bytes drawn 256 ranges at a time and used once each, as crypto.randomUUID pools its
 * draws: one randomBytes(10) per request cost ~1.9 µs, a pooled draw ~0.05 µs.
 */
const RANGES_PER_DRAW = 256;
const pool = new Uint8Array(10 * RANGES_PER_DRAW);
let used = pool.length;

/** A fresh range for one request's rows, at `ms` (default now). */
export function newIdRange(ms = Date.now()): IdRange {
  if (used === pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  used += 10;
  return rangeOf(ms, pool.subarray(used - 10, used));
}

/**
 * The range of an async batch: its time is the batch's acceptance, its random bits derive from
 * the batch id, so a retried chunk gives its rows the same ids again.
 */
export const batchIdRange = (batchId: string, ms: number): IdRange => rangeOf(ms, createHash('sha256').update(`prediction-ids:${batchId}`).digest());

/** The id of row `i` of a range. */
export const idAt = (r: IdRange, i: number): string => `${r.prefix}${hex((r.base + i) % TWO_48, 12)}`;

/** A prediction id as the API hands them out (lower-case UUIDv7). */
export const PREDICTION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The Unix ms a prediction id was made at; undefined when it is not a UUIDv7. */
export function idTime(id: string): number | undefined {
  if (!PREDICTION_ID.test(id)) return undefined;
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}
