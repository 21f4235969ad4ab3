import { writeFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { parseArgs } from 'node:util';
import { inferSchema } from '../../core/schema-infer/infer-schema.js';
import { profileCsv } from '../../core/schema-infer/profile-csv.js';
import { schemaYaml } from '../../core/schema-infer/schema-yaml.js';
import { parseDatasetSchema } from '../../schema/index.js';

const USAGE = `usage: threatmatrix schema infer <data.csv> --label <column> [--threat a,b] [-o schema.yaml]
       [--name n] [--max-codes 3] [--max-distinct 1000] [--bounds sign|observed] [--missing '',na,?]
One streaming pass over the CSV. Rules: all-number columns are numeric; whole numbers with at most
--max-codes distinct values are codes (numeric, values listed, integer), sharing one alphabet when all
code columns together use at most 3 values; other columns are categorical with their values, or
ignored past --max-distinct values (ids, free text); a column with missing cells is nullable. Numeric
bounds: min 0 for a column never negative (sign, default) or the observed min and max (observed).
Threat classes: --threat, else every class but the most frequent (the minority class of two).
`;

/** `threatmatrix schema infer`: writes a dataset schema inferred from a CSV (stdout without -o). */
export async function schemaCommand(argv: string[]): Promise<number> {
  const { values: a, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      label: { type: 'string' },
      threat: { type: 'string' },
      out: { type: 'string', short: 'o' },
      name: { type: 'string' },
      'max-codes': { type: 'string', default: '3' },
      'max-distinct': { type: 'string', default: '1000' },
      bounds: { type: 'string', default: 'sign' },
      missing: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [action, csv] = positionals;
  if (a.help || action !== 'infer' || !csv || !a.label) {
    process.stderr.write(USAGE);
    return a.help ? 0 : 2;
  }
  const maxCodes = Number(a['max-codes']);
  const maxDistinct = Number(a['max-distinct']);
  const bad = [
    !(Number.isInteger(maxCodes) && maxCodes >= 1) && `--max-codes must be a whole number from 1, not "${a['max-codes']}"`,
    !(Number.isInteger(maxDistinct) && maxDistinct >= 2) && `--max-distinct must be a whole number from 2, not "${a['max-distinct']}"`,
    a.bounds !== 'sign' && a.bounds !== 'observed' && `--bounds must be sign or observed, not "${a.bounds}"`,
  ].filter(Boolean);
  if (bad.length) {
    process.stderr.write(`${bad.join('\n')}\n`);
    return 2;
  }
  const missingValues = a.missing === undefined ? undefined : a.missing.split(',');
  const profile = await profileCsv(csv, { missingValues, maxDistinct });
  const name = a.name ?? (basename(csv, extname(csv)).replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^[^A-Za-z0-9]+/, '') || 'dataset');
  const { schema, notes } = inferSchema(profile, { label: a.label, threat: a.threat?.split(','), name, maxCodes, bounds: a.bounds as 'sign' | 'observed', missingValues });
  const text = schemaYaml(schema, [`inferred by threatmatrix schema infer from ${basename(csv)} (${profile.rows} rows): review before training`, ...notes]);
  // What we write must load: a rule that produced an invalid schema is a bug to see here.
  parseDatasetSchema(text, 'the inferred schema');
  if (profile.raggedRows) notes.push(`${profile.raggedRows} row(s) have more or fewer cells than the header`);
  for (const n of notes) process.stderr.write(`${n}\n`);
  if (a.out) {
    await writeFile(a.out, text);
    process.stderr.write(`wrote ${a.out}: ${schema.features.length} features, ${schema.ignore?.length ?? 0} ignored, label ${schema.label.name} (${schema.label.classes.length} classes)\n`);
  } else process.stdout.write(text);
  return 0;
}
