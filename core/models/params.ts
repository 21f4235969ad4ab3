import { z } from 'zod';
import { ModelError } from '../errors.js';

/** Parses model params with a zod schema, turning failures into one readable ModelError. */
export function parseParams<S extends z.ZodType>(kind: string, schema: S, params: unknown): z.output<S> {
  const r = schema.safeParse(params ?? {});
  if (!r.success) {
    const why = r.error.issues.map((i) => `${i.path.join('.') || 'params'}: ${i.message}`).join('; ');
    throw new ModelError(`${kind}: bad params (${why})`);
  }
  return r.data;
}

export const MaxFeatures = z.union([z.enum(['sqrt', 'log2', 'all']), z.number().positive()]);
export type MaxFeatures = z.infer<typeof MaxFeatures>;

/** Features tried per split, from scikit-learn style `max_features`. */
export function resolveMaxFeatures(m: MaxFeatures, d: number): number {
  if (m === 'all') return d;
  if (m === 'sqrt') return Math.max(1, Math.floor(Math.sqrt(d)));
  if (m === 'log2') return Math.max(1, Math.floor(Math.log2(d)));
  return Math.min(d, m < 1 ? Math.max(1, Math.floor(m * d)) : Math.floor(m));
}

/** Non-negative integer depth; 0 or null means unlimited. */
export const MaxDepth = z
  .number()
  .int()
  .nonnegative()
  .nullable()
  .transform((v) => v ?? 0);

export const Seed = z.number().int().nonnegative().default(42);
