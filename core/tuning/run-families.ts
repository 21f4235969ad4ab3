import type { z } from 'zod';
import { issueLines, type FamilyOverride, type SearchOverrides } from '../../schema/run-config.js';
import { PermanentError } from '../errors.js';
import { DecisionTreeParams } from '../models/decision-tree.js';
import { GradientBoostingParams } from '../models/gradient-boosting.js';
import { KnnParams } from '../models/knn.js';
import { LogisticRegressionParams } from '../models/logistic-regression.js';
import { MlpParams } from '../models/mlp.js';
import { RandomForestParams } from '../models/random-forest.js';
import type { ModelKind } from '../models/registry.js';
import { DEFAULT_FAMILIES, type Family } from './families.js';
import type { ParamGrid } from './grid.js';

/** Each family's params schema: what run-file overrides are checked against. */
const PARAMS: Record<ModelKind, z.ZodObject> = {
  gradient_boosting: GradientBoostingParams,
  mlp: MlpParams,
  random_forest: RandomForestParams,
  logistic_regression: LogisticRegressionParams,
  knn: KnnParams,
  decision_tree: DecisionTreeParams,
};
const KNOWN = DEFAULT_FAMILIES.map((f) => f.kind);

/** One `path: rule` line per problem in a run's family list and search overrides; empty when all is well. */
export function searchProblems(families?: string[], search?: SearchOverrides): string[] {
  const problems: string[] = [];
  families?.forEach((kind, i) => {
    if (!KNOWN.includes(kind as ModelKind)) problems.push(`families[${i}]: unknown model family "${kind}" (known: ${KNOWN.join(', ')})`);
  });
  for (const [kind, override] of Object.entries(search ?? {})) {
    const schema = PARAMS[kind as ModelKind] as z.ZodObject | undefined;
    if (!schema) {
      problems.push(`search.${kind}: unknown model family (known: ${KNOWN.join(', ')})`);
      continue;
    }
    const check = (part: 'grid' | 'fixed', key: string, value: unknown, at: number[]) => {
      const field = schema.shape[key] as z.ZodType | undefined;
      if (!field) return void problems.push(`search.${kind}.${part}.${key}: unknown param of ${kind} (known: ${Object.keys(schema.shape).join(', ')})`);
      const r = field.safeParse(value);
      if (!r.success) for (const line of issueLines(r.error, ['search', kind, part, key, ...at])) problems.push(line);
    };
    for (const [key, values] of Object.entries(override.grid ?? {})) values.forEach((v, i) => check('grid', key, v, [i]));
    for (const [key, value] of Object.entries(override.fixed ?? {})) check('fixed', key, value, []);
  }
  return problems;
}

/**
 * The families a run searches, in start order: the run's list (default all six) with its overrides
 * applied. A bad name or override fails the run with every problem listed (no retry).
 */
export function resolveFamilies(families?: string[], search?: SearchOverrides): Family[] {
  const problems = searchProblems(families, search);
  if (problems.length) throw new PermanentError(`bad search settings:\n  ${problems.join('\n  ')}`);
  const chosen = families ? families.map((kind) => DEFAULT_FAMILIES.find((f) => f.kind === kind)!) : DEFAULT_FAMILIES;
  return chosen.map((f) => withOverride(f, search?.[f.kind]));
}

/**
 * A family with a run file's override: listed grid params replace the default values (in the
 * small and the large grid), fixed params win over the grid, other defaults stay.
 */
export function withOverride(family: Family, override?: FamilyOverride): Family {
  if (!override) return family;
  const fixed = { ...family.fixed, ...override.fixed };
  for (const key of Object.keys(override.grid ?? {})) delete fixed[key];
  const merge = (grid: ParamGrid): ParamGrid => Object.fromEntries(Object.entries({ ...grid, ...override.grid }).filter(([key]) => !(key in fixed)));
  const grid = merge(family.grid);
  const largeGrid = family.largeGrid && merge(family.largeGrid);
  const stageParam = family.stageParam && family.stageParam in grid ? family.stageParam : undefined;
  return { ...family, grid, largeGrid, fixed, stageParam };
}
