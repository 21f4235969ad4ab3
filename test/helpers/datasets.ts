import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { readCsv, type ReadResult } from '../../core/data/csv-reader.js';
import { parseDatasetSchema, type DatasetSchema, type DatasetSchemaInput } from '../../schema/index.js';

export const repoPath = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));

export function phishingSchema(): DatasetSchema {
  return parseDatasetSchema(readFileSync(repoPath('schema/phishing.yaml'), 'utf8'));
}

export function schemaOf(input: DatasetSchemaInput): DatasetSchema {
  return parseDatasetSchema(JSON.stringify(input));
}

export function readCsvText(text: string, schema: DatasetSchema, requireLabel = true): Promise<ReadResult> {
  return readCsv(Readable.from([text]), schema, { requireLabel });
}
