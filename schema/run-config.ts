import { z } from 'zod';
import { ProblemListError, readYamlText } from './problem-list-error.js';

/** Seconds a run may take, ingest to registered model, when neither the run nor TM_TIME_BUDGET_SECONDS says. */
export const DEFAULT_TIME_BUDGET_SECONDS = 240;

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600 };

/** A duration as given on the command line or in a run file: 240, "240", "90s", "4m", "1.5h". 0 = no limit. */
export const TimeBudget = z.union([
  z.number().min(0, 'must be >= 0 seconds'),
  z
    .string()
    .regex(/^\d+(\.\d+)?[smh]?$/, 'must be seconds or a duration such as 90s, 4m, 1h')
    .transform((s) => Number(s.replace(/[smh]$/, '')) * (UNIT_SECONDS[s.at(-1)!] ?? 1)),
]);

/** One family's overrides: searched values per param (replacing those params' default values) and fixed params. */
export const FamilyOverride = z
  .object({
    grid: z.record(z.string(), z.array(z.unknown()).min(1, 'must list at least one value')).optional(),
    fixed: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
export type FamilyOverride = z.infer<typeof FamilyOverride>;

/** Per-family overrides by family kind (checked against each model's params where the families are resolved). */
export const SearchOverrides = z.record(z.string(), FamilyOverride);
export type SearchOverrides = z.infer<typeof SearchOverrides>;

const rate = z.number().min(0, 'must be >= 0').max(1, 'must be <= 1');

/**
 * How a run picks the threat threshold on out-of-fold scores (one rule; none = maximum F1):
 * `maxF1: true`, `maxFalsePositiveRate: 0.01`, `minRecall: 0.9` or `minPrecision: 0.95`.
 */
export const ThresholdRuleSchema = z
  .object({ maxF1: z.literal(true).optional(), maxFalsePositiveRate: rate.optional(), minRecall: rate.optional(), minPrecision: rate.optional() })
  .strict()
  .refine((r) => Object.keys(r).length === 1, { message: 'must name exactly one rule: maxF1, maxFalsePositiveRate, minRecall or minPrecision' })
  .transform((r) => r as ThresholdRule);
export type ThresholdRule = { maxF1: true } | { maxFalsePositiveRate: number } | { minRecall: number } | { minPrecision: number };

/** Calibration of the threat score: `auto` (default) keeps isotonic or Platt when it lowers the out-of-fold Brier score. */
export const CalibrationSetting = z.enum(['auto', 'isotonic', 'platt', 'none']);
export type CalibrationSetting = z.infer<typeof CalibrationSetting>;

/**
 * A run file (`threatmatrix train --config run.yaml`, or the same object as `config` in the API body):
 *
 * ```yaml
 * timeBudget: 4m            # or seconds; 0 = no limit
 * families: [gradient_boosting, random_forest]
 * folds: 3
 * search:
 *   gradient_boosting:
 *     grid: { learningRate: [0.1, 0.2], maxIter: [100, 200] }
 *     fixed: { maxBins: 128 }
 * threshold: { maxFalsePositiveRate: 0.01 }   # default: maximum F1
 * calibration: auto        # auto | isotonic | platt | none
 * ```
 */
export const RunConfig = z
  .object({
    timeBudget: TimeBudget.optional(),
    families: z.array(z.string().min(1)).min(1).optional(),
    folds: z.number().int().min(2).max(20).optional(),
    search: SearchOverrides.optional(),
    threshold: ThresholdRuleSchema.optional(),
    calibration: CalibrationSetting.optional(),
  })
  .strict();
export type RunConfig = z.infer<typeof RunConfig>;

/** A run file that cannot be read or breaks a rule; one line per problem, `path: rule`. */
export class RunConfigError extends ProblemListError {
  override name = 'RunConfigError';
}

/** `search.gradient_boosting.grid.learningRate[1]` from a zod path (with a prefix). */
function pathText(path: readonly PropertyKey[], prefix: readonly PropertyKey[] = []): string {
  return [...prefix, ...path].reduce<string>((s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${String(p)}` : String(p)), '');
}

/** The rule a zod issue states, in short words: `must be > 0`, `must be an integer`, `must be one of l1, l2`. */
function ruleText(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'too_small':
      return issue.origin === 'array' || issue.origin === 'string'
        ? `must hold at least ${String(issue.minimum)} ${issue.origin === 'array' ? 'item(s)' : 'character(s)'}`
        : `must be ${issue.inclusive ? '>=' : '>'} ${String(issue.minimum)}`;
    case 'too_big':
      return issue.origin === 'array' || issue.origin === 'string'
        ? `must hold at most ${String(issue.maximum)} ${issue.origin === 'array' ? 'item(s)' : 'character(s)'}`
        : `must be ${issue.inclusive ? '<=' : '<'} ${String(issue.maximum)}`;
    case 'invalid_type':
      return issue.expected === 'int' ? 'must be an integer' : `must be ${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map(String).join(', ')}`;
    case 'unrecognized_keys':
      return `unknown key(s) ${issue.keys.join(', ')}`;
    default:
      return issue.message;
  }
}

/** `path: rule` lines for a failed zod parse. */
export function issueLines(error: z.ZodError, prefix: readonly PropertyKey[] = []): string[] {
  return error.issues.map((i) => `${pathText(i.path, prefix) || '(root)'}: ${ruleText(i)}`);
}

/** Parses a run file from YAML or JSON text; `source` names it in errors. */
export function parseRunConfig(text: string, source = 'run file'): RunConfig {
  const raw = readYamlText(text, source, (m) => new RunConfigError(m));
  const r = RunConfig.safeParse(raw ?? {});
  if (!r.success) throw new RunConfigError(`${source}: not a valid run file`, issueLines(r.error));
  return r.data;
}
