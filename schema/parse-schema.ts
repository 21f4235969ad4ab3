import { parse as parseYaml } from 'yaml';
import { DatasetSchema } from './dataset-schema.js';

/** A schema file that cannot be read or does not fit `DatasetSchema`. */
export class SchemaFileError extends Error {
  override name = 'SchemaFileError';
  constructor(
    message: string,
    /** One line per problem: `path: message`. */
    readonly problems: string[] = [],
  ) {
    super(problems.length ? `${message}\n  ${problems.join('\n  ')}` : message);
  }
}

/** Parses a dataset schema from YAML or JSON text (JSON is YAML). `source` names it in errors. */
export function parseDatasetSchema(text: string, source = 'schema'): DatasetSchema {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new SchemaFileError(`${source}: not valid YAML or JSON (${(err as Error).message})`);
  }
  const parsed = DatasetSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new SchemaFileError(`${source}: not a valid dataset schema`, problems);
  }
  return parsed.data;
}
