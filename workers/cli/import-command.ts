import { parseArgs } from 'node:util';
import type { Logger } from 'pino';
import { importToMongo } from '../../core/adapters/mongo-import.js';
import { loadSchema, loadValidatedCsv } from '../../core/training/load-dataset.js';

/** `threatmatrix import <csv> --mongo <uri/db> [--collection c] [--schema file] [--append]`: validated rows into MongoDB. */
export async function importCommand(argv: string[], log: Logger): Promise<number> {
  const { values: a, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      mongo: { type: 'string' },
      collection: { type: 'string' },
      schema: { type: 'string', default: 'schema/phishing.yaml' },
      append: { type: 'boolean', default: false },
    },
  });
  const [csv] = positionals;
  if (!csv || !a.mongo) {
    process.stderr.write('usage: threatmatrix import <file.csv> --mongo mongodb://host:port/db [--collection name] [--schema file] [--append]\n');
    return 2;
  }
  const schema = await loadSchema(a.schema!);
  const { dataset } = await loadValidatedCsv(csv, schema);
  const url = new URL(a.mongo);
  const db = url.pathname.replace(/^\//, '') || 'threatmatrix';
  const collection = a.collection ?? schema.name;
  const n = await importToMongo(dataset, schema, {
    uri: a.mongo,
    db,
    collection,
    append: a.append,
    onProgress: (rows) => log.info({ rows, of: dataset.features.nRows }, 'imported'),
  });
  log.info({ rows: n, db, collection, host: url.host }, 'import done');
  return 0;
}
