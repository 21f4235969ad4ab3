import type { Frame } from '../data/frame.js';
import type { PackedFrame } from '../data/packed-frame.js';
import type { ScoreChunkOptions, ScoredChunk } from './score-chunk.js';

/** A registered model version, as threads name it. */
export interface ModelRef {
  name: string;
  version: number;
  /** The threat threshold to flag by (a batch's, fixed when it was accepted); default the version's when the thread loaded it. */
  threshold?: number;
}

/** What the main thread sends a scoring thread. */
export type ScoringRequest =
  | { type: 'chunk'; seq: number; model: ModelRef; header: string[]; bytes: Uint8Array; firstRow: number; maxErrors: number; options?: Omit<ScoreChunkOptions, 'onProgress'> }
  | { type: 'proba'; seq: number; model: ModelRef; frame: Frame }
  /** Explanations asked in one turn of the caller's event loop, answered together (see ExplainJob). */
  | { type: 'explain'; seq: number; jobs: ExplainJob[] }
  /** The answer to a thread's `read`: the object's bytes, or undefined when there is none. */
  | { type: 'read'; seq: number; bytes?: Uint8Array; error?: string };

/**
 * A scored chunk (its CSV as UTF-8 bytes, moved rather than copied: the main thread only stores
 * them) or a frame's probabilities; `ms`: time spent scoring (model loading excluded).
 */
export type ScoringResult =
  | { type: 'chunk'; chunk: Omit<ScoredChunk, 'csv'> & { bytes: Uint8Array }; ms: number }
  | { type: 'proba'; proba: Float64Array; ms: number }
  /** Per job of the request, in order, its outcome; `ms` for all of them. */
  | { type: 'explain'; outcomes: ExplainOutcome[]; ms: number };

/** Probabilities and each row's explanation with its `top` largest contributions (see PipelineExplainer); the frame packed by the model's schema. */
export interface ExplainJob {
  model: ModelRef;
  frame: PackedFrame;
  top: number;
}

/** An explain job's outcome: `explanations` holds each row's Explanation as JSON text (what the API answers). */
export type ExplainOutcome = { ok: true; proba: Float64Array; explanations: string[] } | { ok: false; error: ThrownError };

/** An error as it crosses back: enough to rebuild a DataError (rule, column, line) on the main thread. */
export interface ThrownError {
  name: string;
  message: string;
  rule?: string;
  column?: string;
  line?: number;
}

/** What a scoring thread sends back: a request's outcome, or a read of the artifact store it asks the main thread for. */
export type ScoringReply =
  /** How far an explained chunk is (share of its rows explained). */
  | { type: 'progress'; seq: number; fraction: number }
  | { type: 'done'; seq: number; ok: true; result: ScoringResult }
  | { type: 'done'; seq: number; ok: false; error: ThrownError }
  | { type: 'read'; seq: number; key: string };
