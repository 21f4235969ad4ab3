import { readFile } from 'node:fs/promises';
import type { DatasetSchema } from '../../schema/index.js';
import { parseDatasetSchema } from '../../schema/index.js';
import { readCsv, type ReadCsvOptions } from '../data/csv-reader.js';
import type { Dataset } from '../data/frame.js';
import { assertValid, validateDataset, type ValidationReport } from '../validation/validate-dataset.js';

export async function loadSchema(path: string): Promise<DatasetSchema> {
  return parseDatasetSchema(await readFile(path, 'utf8'), path);
}

/** Reads a CSV and validates it; throws a DataError naming the first problem unless `tolerate`. */
export async function loadValidatedCsv(
  path: string,
  schema: DatasetSchema,
  opts: ReadCsvOptions & { tolerate?: boolean } = {},
): Promise<{ dataset: Dataset; report: ValidationReport }> {
  const { dataset, issues } = await readCsv(path, schema, opts);
  const report = validateDataset(dataset, schema, { readIssues: issues });
  if (!opts.tolerate) assertValid(report);
  return { dataset, report };
}
