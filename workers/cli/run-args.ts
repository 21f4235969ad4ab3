import { execSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { searchProblems } from '../../core/tuning/run-families.js';
import { parseDatasetSchema, parseRunConfig, RunConfigError, RunSpec, TimeBudget } from '../../schema/index.js';
import { newRunId } from '../run-jobs.js';
import { CliError } from './cli-error.js';
import { sourceFromArg } from '../../schema/source-arg.js';

/** The command-line options that describe a training run (parseArgs form). */
export const RUN_OPTIONS = {
  data: { type: 'string', default: 'data/phishing.csv' },
  schema: { type: 'string', default: 'schema/phishing.yaml' },
  collection: { type: 'string' },
  families: { type: 'string' },
  /** Default 3, or the run file's. */
  folds: { type: 'string' },
  name: { type: 'string' },
  'test-size': { type: 'string', default: '0.2' },
  'refit-all': { type: 'boolean', default: false },
  'allow-partial': { type: 'boolean', default: false },
  /** Seconds or a duration (90s, 4m, 1h) for the whole run; 0 = no limit. Default: the run file's, else TM_TIME_BUDGET_SECONDS. */
  'time-budget': { type: 'string' },
  /** A run file (YAML or JSON): timeBudget, families, folds, per-family search overrides. */
  config: { type: 'string' },
} as const;

function gitCommit(): string | undefined {
  try {
    return execSync('git rev-parse HEAD', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return undefined;
  }
}

/**
 * A run spec from those options: reads and checks the schema file and the run file, resolves the
 * data source. Options given on the command line win over the run file, which wins over defaults.
 */
export async function runSpecFromArgs(
  a: {
    data?: string;
    schema?: string;
    collection?: string;
    families?: string;
    folds?: string;
    name?: string;
    'test-size'?: string;
    'refit-all'?: boolean;
    'allow-partial'?: boolean;
    'time-budget'?: string;
    config?: string;
  },
  prefix?: string,
  defaults: { timeBudgetSeconds?: number } = {},
): Promise<RunSpec> {
  const text = await readFile(a.schema!, 'utf8');
  const name = parseDatasetSchema(text, a.schema).name;
  const file = a.config ? parseRunConfig(await readFile(a.config, 'utf8'), a.config) : {};
  const budget = a['time-budget'] === undefined ? undefined : TimeBudget.safeParse(a['time-budget']);
  if (budget && !budget.success) throw new RunConfigError(`--time-budget ${a['time-budget']}: must be seconds or a duration such as 90s, 4m, 1h`);
  const spec = RunSpec.safeParse({
    runId: newRunId(prefix),
    modelName: a.name ?? name,
    source: sourceFromArg(a.data!, a.collection ?? name),
    schema: parseYaml(text) as Record<string, unknown>,
    families: a.families?.split(',') ?? file.families,
    folds: a.folds === undefined ? file.folds : Number(a.folds),
    testSize: Number(a['test-size'] ?? 0.2),
    refitAll: a['refit-all'],
    allowPartial: a['allow-partial'],
    gitCommit: gitCommit(),
    timeBudgetSeconds: budget?.data ?? file.timeBudget ?? defaults.timeBudgetSeconds,
    search: file.search,
    threshold: file.threshold,
    calibration: file.calibration,
  });
  if (!spec.success) throw new CliError(spec.error.issues.map((i) => `--${OPTION_OF[String(i.path[0])] ?? String(i.path[0])}: ${i.message}`).join('\n'));
  const run = spec.data;
  const problems = searchProblems(run.families, run.search);
  if (problems.length) throw new RunConfigError(`${a.config ?? 'run options'}: bad search settings`, problems);
  return run;
}

/** RunSpec fields named by the option that sets them, for error lines. */
const OPTION_OF: Record<string, string> = { testSize: 'test-size', modelName: 'name', source: 'data', refitAll: 'refit-all', allowPartial: 'allow-partial', timeBudgetSeconds: 'time-budget' };
