import { z } from 'zod';

/** A categorical node's split (see CategorySplit in tree-buffer.ts). */
const CategorySplitJSON = z.object({ n: z.number().int().nonnegative(), left: z.array(z.number().int().min(-2)) });

export const TreeJSON = z.object({
  feature: z.array(z.number().int()),
  threshold: z.array(z.number()),
  left: z.array(z.number().int()),
  value: z.array(z.number()),
  /** Present only in trees with categorical splits (older models have none). */
  categories: z.array(CategorySplitJSON.nullable()).optional(),
  /** Per node cover for TreeSHAP (absent in models of format version 1). */
  cover: z.array(z.number()).optional(),
});
