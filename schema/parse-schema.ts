import type { z } from 'zod';
import { DatasetSchema } from './dataset-schema.js';
import { ProblemListError, readYamlText } from './problem-list-error.js';

/** A schema file that cannot be read or does not fit `DatasetSchema`. */
export class SchemaFileError extends ProblemListError {
  override name = 'SchemaFileError';
}

/** Parses a dataset schema from YAML or JSON text (JSON is YAML). `source` names it in errors. */
export function parseDatasetSchema(text: string, source = 'schema'): DatasetSchema {
  const raw = readYamlText(text, source, (m) => new SchemaFileError(m));
  const parsed = DatasetSchema.safeParse(raw);
  if (!parsed.success) throw new SchemaFileError(`${source}: not a valid dataset schema`, groupedProblems(parsed.error.issues, raw));
  return parsed.data;
}

const SHOWN = 8;

/**
 * One line per distinct problem (the same rule broken at the same place in several list items),
 * naming every field it hits: a typo such as `kind: number` in 48 features is one line, not 48.
 * A problem that hits one field keeps its exact path (`features.3.kind`).
 */
export function groupedProblems(issues: readonly z.core.$ZodIssue[], raw: unknown): string[] {
  const groups = new Map<string, { pattern: string; message: string; paths: string[]; names: (string | undefined)[]; found: Set<string> }>();
  for (const issue of issues) {
    const pattern = issue.path.map((p, i) => (typeof p === 'number' ? '[]' : `${i ? '.' : ''}${String(p)}`)).join('') || '(root)';
    const key = `${pattern}\0${issue.message}`;
    const group = groups.get(key) ?? { pattern, message: issue.message, paths: [], names: [], found: new Set<string>() };
    groups.set(key, group);
    group.paths.push(issue.path.map(String).join('.') || '(root)');
    group.names.push(itemName(issue.path, raw));
    const value = valueAt(issue.path, raw);
    if (value !== undefined && (typeof value !== 'object' || value === null)) group.found.add(JSON.stringify(value));
  }
  return [...groups.values()].map((g) => {
    const found = g.found.size ? ` (found ${[...g.found].slice(0, 3).join(', ')}${g.found.size > 3 ? ', ...' : ''})` : '';
    if (g.paths.length === 1) return `${g.paths[0]}${g.names[0] ? ` (${g.names[0]})` : ''}: ${g.message}${found}`;
    const hits = g.names.map((n, i) => n ?? g.paths[i]);
    const more = hits.length > SHOWN ? ` and ${hits.length - SHOWN} more` : '';
    return `${g.pattern}: ${g.message}${found}, in ${hits.length} ${g.pattern.split('[')[0]}: ${hits.slice(0, SHOWN).join(', ')}${more}`;
  });
}

function valueAt(path: readonly PropertyKey[], raw: unknown): unknown {
  let at = raw;
  for (const p of path) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<PropertyKey, unknown>)[p];
  }
  return at;
}

/** The `name` of the list item a path goes through (features.3.kind -> "bytes"), when it has one. */
function itemName(path: readonly PropertyKey[], raw: unknown): string | undefined {
  const i = path.findIndex((p) => typeof p === 'number');
  const name = i < 0 ? undefined : (valueAt(path.slice(0, i + 1), raw) as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' ? name : undefined;
}
