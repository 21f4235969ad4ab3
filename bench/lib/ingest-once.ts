/**
 * Child of bench:scale: reads one CSV with `readCsv` (the training ingest) and prints one JSON line
 * {rows, wallSeconds, cpuSeconds, issues} timing only the read, as the pandas figure times only
 * read_csv. Usage: tsx bench/lib/ingest-once.ts DATA.csv SCHEMA.yaml
 */
import { readFileSync } from 'node:fs';
import { readCsv } from '../../core/data/csv-reader.js';
import { parseDatasetSchema } from '../../schema/index.js';

const [data, schemaPath] = process.argv.slice(2);
const schema = parseDatasetSchema(readFileSync(schemaPath, 'utf8'), schemaPath);
const cpu = process.cpuUsage();
const started = performance.now();
const { dataset, issues } = await readCsv(data, schema);
const wallSeconds = (performance.now() - started) / 1000;
const used = process.cpuUsage(cpu);
console.log(JSON.stringify({ rows: dataset.features.nRows, wallSeconds, cpuSeconds: (used.user + used.system) / 1e6, issues: issues.length }));
