import type { ModelJSON } from '../../core/models/model.js';
import type { Family } from '../../core/tuning/families.js';
import type { FamilyResult, SearchProgress } from '../../core/tuning/grid-search.js';

export interface SearchRequest {
  family: Family;
  /** Epoch ms by which this family's search and refit end (its share of the budget); unset = no limit. */
  deadline?: number;
}

export type SearchReply =
  | { type: 'progress'; progress: SearchProgress }
  | { type: 'done'; result: Omit<FamilyResult, 'pipeline'> & { pipeline: ModelJSON } }
  | { type: 'skipped'; family: string; reason: string }
  | { type: 'failed'; family: string; error: string };
