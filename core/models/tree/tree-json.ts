import { z } from 'zod';

export const TreeJSON = z.object({
  feature: z.array(z.number().int()),
  threshold: z.array(z.number()),
  left: z.array(z.number().int()),
  value: z.array(z.number()),
});
