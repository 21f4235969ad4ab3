import { z } from 'zod';

/** Labels one call of POST /v1/feedback (or one call of `threatmatrix feedback`) takes at most. */
export const MAX_FEEDBACK_ROWS = 100_000;

/** One true label for a prediction: its id as the answer carried it, and the class. */
export const FeedbackItem = z
  .object({
    predictionId: z.string().describe('The predictionId of an answer (or prediction_id of an async batch row)'),
    label: z.union([z.string(), z.number()]).describe("The true class: one of the served model's classes"),
  })
  .strict();
export const FeedbackRequest = z.array(FeedbackItem).min(1).max(MAX_FEEDBACK_ROWS);
export type FeedbackItem = z.infer<typeof FeedbackItem>;

/** What POST /v1/feedback answers. */
export const FeedbackAnswer = z.object({
  /** Rows sent. */
  received: z.number().int(),
  /** Labels stored: one per id (of an id sent twice in one call, the last row counts). */
  stored: z.number().int(),
  /** Rows whose id came again later in the same call. */
  duplicates: z.number().int(),
  /** Ids found in the prediction log. */
  matched: z.number().int(),
  /** Ids not in the log (not sampled, or unknown): their labels are stored all the same. */
  unmatched: z.number().int(),
  /** Ids the call did not look up (past the lookup's bound): stored, matched later by the join. */
  unchecked: z.number().int(),
  /** The first unmatched ids. */
  unmatchedIds: z.array(z.string()),
  message: z.string(),
});
export type FeedbackAnswer = z.infer<typeof FeedbackAnswer>;
