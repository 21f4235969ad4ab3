import { parseArgs } from 'node:util';
import type { Logger } from 'pino';
import { importToMongo } from '../../core/adapters/mongo-import.js';
import { canonicalJson, fileSha256 } from '../../core/artifacts/digest.js';
import { loadSchema, loadValidatedCsv } from '../../core/training/load-dataset.js';
import { loadConfig } from '../../schema/config.js';

/**
 * `threatmatrix import <csv> --mongo <uri/db> [--collection c] [--schema file] [--append] [--force]`:
 * validated rows into MongoDB. A replacing import of the same file and schema as last time does
 * nothing (`--force` reloads), so a deploy can run it on every start.
 */
export async function importCommand(argv: string[], log: Logger): Promise<number> {
  const { values: a, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      mongo: { type: 'string' },
      collection: { type: 'string' },
      schema: { type: 'string', default: 'schema/phishing.yaml' },
      append: { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
    },
  });
  const [csv] = positionals;
  if (!csv || !a.mongo) {
    process.stderr.write('usage: threatmatrix import <file.csv> --mongo mongodb://host:port/db [--collection name] [--schema file] [--append] [--force]\n');
    return 2;
  }
  const schema = await loadSchema(a.schema!);
  const { dataset } = await loadValidatedCsv(csv, schema);
  const url = new URL(a.mongo);
  const db = url.pathname.replace(/^\//, '') || 'threatmatrix';
  const collection = a.collection ?? schema.name;
  const digest = a.append ? undefined : await fileSha256(csv, canonicalJson(schema));
  const { rows, skipped } = await importToMongo(dataset, schema, {
    uri: a.mongo,
    db,
    collection,
    append: a.append,
    digest,
    force: a.force,
    timeoutMs: loadConfig().TM_CALL_TIMEOUT_MS,
    onProgress: (n) => log.info({ rows: n, of: dataset.features.nRows }, 'imported'),
  });
  log.info({ rows, db, collection, host: url.host, skipped }, skipped ? 'import skipped: the collection already holds this file (--force reloads)' : 'import done');
  return 0;
}
