import type { ModelJSON } from '../models/model.js';
import type { Family } from './families.js';
import type { FamilyResult, SearchProgress } from './grid-search.js';

export interface SearchRequest {
  family: Family;
}

export type SearchReply =
  | { type: 'progress'; progress: SearchProgress }
  | { type: 'done'; result: Omit<FamilyResult, 'pipeline'> & { pipeline: ModelJSON } }
  | { type: 'failed'; family: string; error: string };
