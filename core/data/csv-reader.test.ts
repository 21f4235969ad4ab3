import { describe, expect, it } from 'vitest';
import { phishingSchema, readCsvText, repoPath, schemaOf } from '../../test/helpers/datasets.js';
import { DataError } from '../errors.js';
import { assertValid, validateDataset } from '../validation/validate-dataset.js';
import { readCsv } from './csv-reader.js';

const small = schemaOf({
  name: 'small',
  features: [
    { name: 'port', kind: 'numeric', min: 0, max: 65535, integer: true },
    { name: 'proto', kind: 'categorical', values: ['tcp', 'udp'] },
  ],
  label: { name: 'label', classes: ['bad', 'ok'], threat: ['bad'] },
});

async function firstError(csv: string): Promise<DataError> {
  try {
    const { dataset, issues } = await readCsvText(csv, small);
    assertValid(validateDataset(dataset, small, { readIssues: issues }));
  } catch (err) {
    if (err instanceof DataError) return err;
    throw err;
  }
  throw new Error('expected a DataError');
}

describe('readCsv', () => {
  it('reads the shipped phishing data into typed columns', async () => {
    const { dataset, issues } = await readCsv(repoPath('data/phishing.csv'), phishingSchema());
    expect(issues).toEqual([]);
    expect(dataset.features.nRows).toBe(11_055);
    expect(dataset.features.columns).toHaveLength(30);
    expect(dataset.classes).toEqual(['-1', '1']);
    expect(dataset.positiveClass).toBe(0);
    const phishing = dataset.labels.filter((y) => y === 0).length;
    expect(phishing).toBe(4_898);
    const report = validateDataset(dataset, phishingSchema());
    expect(report.ok).toBe(true);
    expect(report.labelCounts).toEqual({ '-1': 4_898, '1': 6_157 });
  });

  it('dictionary-encodes categorical strings in schema order', async () => {
    const { dataset } = await readCsvText('port,proto,label\n80,udp,ok\n22,tcp,bad\n', small);
    const proto = dataset.features.columns[1];
    expect(proto.kind === 'categorical' && Array.from(proto.codes)).toEqual([1, 0]);
    expect(Array.from(dataset.labels)).toEqual([1, 0]);
  });

  it('rejects a CSV whose header lacks the label column', async () => {
    const err = await firstError('port,proto\n80,tcp\n');
    expect(err).toMatchObject({ rule: 'required-column', column: 'label' });
    expect(err.message).toContain('label column label is missing');
  });

  it('names the column, rule and line of a non-numeric value in a numeric column', async () => {
    const err = await firstError('port,proto,label\n80,tcp,ok\nhttp,tcp,bad\n');
    expect(err).toMatchObject({ rule: 'numeric', column: 'port', line: 3 });
    expect(err.message).toMatch(/port must hold numbers \[rule: numeric\] \(line 3, value "http"\)/);
  });

  it('names an unknown category', async () => {
    const err = await firstError('port,proto,label\n80,sctp,ok\n');
    expect(err).toMatchObject({ rule: 'allowed-values', column: 'proto', line: 2 });
    expect(err.message).toContain('"sctp"');
  });

  it('rejects an empty file and a header without rows', async () => {
    await expect(readCsvText('', small)).rejects.toMatchObject({ rule: 'non-empty' });
    await expect(readCsvText('port,proto,label\n', small)).rejects.toMatchObject({ rule: 'non-empty' });
  });

  it('reports ragged rows with their line and keeps the good rows', async () => {
    const { dataset, issues } = await readCsvText('port,proto,label\n80,tcp,ok\n81,tcp\n82,udp,bad,extra\n83,udp,bad\n', small);
    expect(dataset.features.nRows).toBe(2);
    expect(issues).toContainEqual(expect.objectContaining({ rule: 'row-length', count: 2, examples: [expect.objectContaining({ line: 3 }), expect.objectContaining({ line: 4 })] }));
    const err = await firstError('port,proto,label\n80,tcp,ok\n81,tcp\n');
    expect(err).toMatchObject({ rule: 'row-length', line: 3 });
  });

  it('flags out-of-range values, nulls and unknown label classes', async () => {
    const { dataset, issues } = await readCsvText('port,proto,label\n70000,tcp,ok\n,udp,bad\n22,tcp,maybe\n', small);
    const report = validateDataset(dataset, small, { readIssues: issues });
    expect(report.ok).toBe(false);
    const rules = report.issues.map((i) => `${i.rule}:${i.column}`);
    expect(rules).toEqual(expect.arrayContaining(['range:port', 'not-null:port', 'label-class:label']));
    expect(report.nulls.port).toBe(1);
  });

  it('points at a probably renamed column', async () => {
    const { issues } = await readCsvText('Port,proto,label\n80,tcp,ok\n', small);
    expect(issues).toContainEqual(expect.objectContaining({ rule: 'renamed-column', column: 'port', message: expect.stringContaining('renamed to Port?') }));
  });

  it('maps "na" cells to missing values when the column is nullable', async () => {
    const nullable = schemaOf({ ...small, features: [{ name: 'port', kind: 'numeric', nullable: true }, small.features[1]] });
    const { dataset, issues } = await readCsvText('port,proto,label\nna,tcp,ok\n', nullable);
    expect(issues).toEqual([]);
    const port = dataset.features.columns[0];
    expect(port.kind === 'numeric' && Number.isNaN(port.values[0])).toBe(true);
  });
});
