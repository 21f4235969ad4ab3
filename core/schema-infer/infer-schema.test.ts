import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseDatasetSchema } from '../../schema/index.js';
import { readCsv } from '../data/csv-reader.js';
import { Rng } from '../data/rng.js';
import { validateDataset } from '../validation/validate-dataset.js';
import { inferSchema, type InferOptions } from './infer-schema.js';
import { profileCsv, type ProfileOptions } from './profile-csv.js';
import { schemaYaml } from './schema-yaml.js';

const repo = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));

/** Infers, writes YAML and parses it back as threatmatrix would load the file. */
async function inferText(csv: string, o: Omit<InferOptions, 'name'>, p: ProfileOptions = {}) {
  const profile = await profileCsv(Readable.from([csv]), p);
  const { schema, notes } = inferSchema(profile, { name: 'inferred', ...o });
  return { schema: parseDatasetSchema(schemaYaml(schema, notes), 'inferred.yaml'), notes };
}

async function validates(csv: string, schema: ReturnType<typeof parseDatasetSchema>) {
  const { dataset, issues } = await readCsv(Readable.from([csv]), schema);
  return validateDataset(dataset, schema, { readIssues: issues });
}

/** Numeric, text categories, a nullable column, a code column, an id-like text column, 3 classes. */
function mixedCsv(rows: number): string {
  const rng = new Rng(7);
  const classes = ['benign', 'scan', 'dos', 'exfil'];
  const lines = ['session,bytes,delta,proto,severity,ttl,label'];
  for (let i = 0; i < rows; i++) {
    const c = i < 40 ? i % 4 : [0, 0, 0, 0, 0, 1, 1, 2, 3][rng.int(9)];
    const ttl = rng.next() < 0.1 ? (rng.next() < 0.5 ? '' : 'na') : String(32 + rng.int(200));
    lines.push(`s${i}x${rng.int(1e6)},${(rng.next() * 1e4).toFixed(2)},${(rng.normal() * 3).toFixed(3)},${['tcp', 'udp', 'icmp'][rng.int(3)]},${1 + rng.int(5)},${ttl},${classes[c]}`);
  }
  return `${lines.join('\n')}\n`;
}

describe('schema inference', () => {
  it('round-trips data/phishing.csv: the inferred schema parses, validates the data and has the shipped kinds, values and label', async () => {
    const csv = readFileSync(repo('data/phishing.csv'), 'utf8');
    const shipped = parseDatasetSchema(readFileSync(repo('schema/phishing.yaml'), 'utf8'));
    const { schema } = await inferText(csv, { label: 'Result' });
    expect(schema.features.map((f) => [f.name, f.kind, f.values])).toEqual(shipped.features.map((f) => [f.name, f.kind, f.values]));
    expect(schema.features.every((f) => f.kind === 'numeric' && f.integer && !f.nullable)).toBe(true);
    expect(schema.label).toMatchObject({ name: 'Result', classes: shipped.label.classes, threat: shipped.label.threat });
    const report = await validates(csv, schema);
    expect(report.ok).toBe(true);
    expect(report.rows).toBe(11_055);
  });

  it('infers a mixed file: numbers with bounds, text categories, nullable codes, an id ignored, 4 classes with the majority as benign', async () => {
    const csv = mixedCsv(3_000);
    const { schema, notes } = await inferText(csv, { label: 'label' }, { maxDistinct: 500 });
    const by = Object.fromEntries(schema.features.map((f) => [f.name, f]));
    expect(Object.keys(by)).toEqual(['bytes', 'delta', 'proto', 'severity', 'ttl']);
    expect(by.bytes).toMatchObject({ kind: 'numeric', min: 0, nullable: false, integer: false });
    expect(by.bytes.kind === 'numeric' && by.bytes.max).toBeUndefined();
    expect(by.delta).toMatchObject({ kind: 'numeric', nullable: false });
    expect(by.delta.kind === 'numeric' && by.delta.min).toBeUndefined();
    expect(by.proto).toMatchObject({ kind: 'categorical', nullable: false });
    expect([...by.proto.values!].sort()).toEqual(['icmp', 'tcp', 'udp']);
    // Five whole values are a count by default (min 0, open above), codes when asked.
    expect(by.severity).toMatchObject({ kind: 'numeric', min: 0, integer: false });
    expect(by.severity.kind === 'numeric' && by.severity.values).toBeUndefined();
    const coded = await inferText(csv, { label: 'label', maxCodes: 5 }, { maxDistinct: 500 });
    expect(coded.schema.features.find((f) => f.name === 'severity')).toMatchObject({ kind: 'numeric', integer: true, values: [1, 2, 3, 4, 5] });
    expect(by.ttl).toMatchObject({ kind: 'numeric', nullable: true, min: 0 });
    expect(schema.ignore).toEqual(['session']);
    expect(notes.join('\n')).toMatch(/session: ignored/);
    expect(schema.label).toMatchObject({ classes: ['benign', 'dos', 'exfil', 'scan'], threat: ['dos', 'exfil', 'scan'] });
    expect((await validates(csv, schema)).ok).toBe(true);
  });

  it('writes the observed range as bounds on request and the threat classes given', async () => {
    const csv = mixedCsv(500);
    const { schema } = await inferText(csv, { label: 'label', threat: ['exfil'], bounds: 'observed' });
    const bytes = schema.features.find((f) => f.name === 'bytes')!;
    expect(bytes.kind === 'numeric' && bytes.min! >= 0 && bytes.max! <= 1e4 && bytes.min! < bytes.max!).toBe(true);
    expect(schema.label.threat).toEqual(['exfil']);
    expect((await validates(csv, schema)).ok).toBe(true);
    await expect(inferText(csv, { label: 'label', threat: ['worm'] })).rejects.toThrow(/threat class\(es\) worm not in the label's classes/);
    await expect(inferText(csv, { label: 'Label' })).rejects.toThrow(/label column Label is not in the header/);
  });

  it('keeps memory bounded: past the distinct cap a numeric column keeps its range and a text column is ignored', async () => {
    const lines = ['n,t,y'];
    for (let i = 0; i < 5_000; i++) lines.push(`${i - 100},${i % 7 === 0 ? 'x' : 'w'}${i},${i % 2}`);
    const profile = await profileCsv(Readable.from([lines.join('\n')]), { maxDistinct: 50 });
    const [n, t] = profile.columns;
    expect(n).toMatchObject({ present: 5_000, nonNumeric: 0, min: -100, max: 4_899, distinct: undefined });
    expect(t).toMatchObject({ nonNumeric: 5_000, distinct: undefined });
    const { schema } = inferSchema(profile, { label: 'y', name: 'cap' });
    expect(schema.features.map((f) => f.name)).toEqual(['n']);
    expect(schema.ignore).toEqual(['t']);
    expect(schema.label).toMatchObject({ classes: [0, 1] });
  });
});
