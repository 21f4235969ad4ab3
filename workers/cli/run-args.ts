import { execSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { parseDatasetSchema, RunSpec } from '../../schema/index.js';
import { CliError } from './cli-error.js';
import { sourceFromArg } from './source-arg.js';

/** A new run id: prefix, UTC time, a random suffix (no ':' and never all digits, as BullMQ needs). */
export function newRunId(prefix = 'run'): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${prefix}-${stamp}-${randomUUID().slice(0, 6)}`;
}

/** The command-line options that describe a training run (parseArgs form). */
export const RUN_OPTIONS = {
  data: { type: 'string', default: 'data/phishing.csv' },
  schema: { type: 'string', default: 'schema/phishing.yaml' },
  collection: { type: 'string' },
  families: { type: 'string' },
  folds: { type: 'string', default: '3' },
  name: { type: 'string' },
  'test-size': { type: 'string', default: '0.2' },
  'refit-all': { type: 'boolean', default: false },
  'allow-partial': { type: 'boolean', default: false },
} as const;

function gitCommit(): string | undefined {
  try {
    return execSync('git rev-parse HEAD', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return undefined;
  }
}

/** A run spec from those options: reads and checks the schema file, resolves the data source. */
export async function runSpecFromArgs(
  a: { data?: string; schema?: string; collection?: string; families?: string; folds?: string; name?: string; 'test-size'?: string; 'refit-all'?: boolean; 'allow-partial'?: boolean },
  prefix?: string,
): Promise<RunSpec> {
  const text = await readFile(a.schema!, 'utf8');
  const name = parseDatasetSchema(text, a.schema).name;
  const spec = RunSpec.safeParse({
    runId: newRunId(prefix),
    modelName: a.name ?? name,
    source: sourceFromArg(a.data!, a.collection ?? name),
    schema: parseYaml(text) as Record<string, unknown>,
    families: a.families?.split(','),
    folds: Number(a.folds),
    testSize: Number(a['test-size'] ?? 0.2),
    refitAll: a['refit-all'],
    allowPartial: a['allow-partial'],
    gitCommit: gitCommit(),
  });
  if (!spec.success) throw new CliError(spec.error.issues.map((i) => `--${OPTION_OF[String(i.path[0])] ?? String(i.path[0])}: ${i.message}`).join('\n'));
  return spec.data;
}

/** RunSpec fields named by the option that sets them, for error lines. */
const OPTION_OF: Record<string, string> = { testSize: 'test-size', modelName: 'name', source: 'data', refitAll: 'refit-all', allowPartial: 'allow-partial' };
