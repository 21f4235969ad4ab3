import type { Frame } from '../data/frame.js';
import type { ScoredChunk } from './score-chunk.js';

/** A served model as it crosses to a scoring thread: the pipeline as JSON text, rebuilt there. */
export interface ModelMessage {
  name: string;
  version: number;
  schema: unknown;
  pipeline: string;
}

/** What the main thread sends a scoring thread. `model` ids are the sender's. */
export type ScoringRequest =
  | { type: 'load'; model: number; served: ModelMessage }
  | { type: 'drop'; model: number }
  | { type: 'chunk'; seq: number; model: number; header: string[]; bytes: Uint8Array; firstRow: number; maxErrors: number }
  | { type: 'proba'; seq: number; model: number; frame: Frame };

/** A scored chunk or a frame's probabilities; `ms`: time spent scoring (model loading excluded). */
export type ScoringResult = { type: 'chunk'; chunk: ScoredChunk; ms: number } | { type: 'proba'; proba: Float64Array; ms: number };

/** An error as it crosses back: enough to rebuild a DataError (rule, column, line) on the main thread. */
export interface ThrownError {
  name: string;
  message: string;
  rule?: string;
  column?: string;
  line?: number;
}

export type ScoringReply = { seq: number; ok: true; result: ScoringResult } | { seq: number; ok: false; error: ThrownError };
