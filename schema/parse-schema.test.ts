import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDatasetSchema, SchemaFileError } from './parse-schema.js';

describe('dataset schema files', () => {
  it('parses schema/phishing.yaml: 30 ternary features, label Result, threat -1', () => {
    const s = parseDatasetSchema(readFileSync(new URL('./phishing.yaml', import.meta.url), 'utf8'));
    expect(s.features).toHaveLength(30);
    expect(s.features.every((f) => f.kind === 'numeric' && f.values?.join() === '-1,0,1')).toBe(true);
    expect(s.label).toMatchObject({ name: 'Result', classes: [-1, 1], threat: [-1] });
    expect(s.missingValues).toContain('na');
  });

  it('reads JSON too and applies defaults', () => {
    const s = parseDatasetSchema('{"name":"x","features":[{"name":"a","kind":"categorical","values":["p","q"]}],"label":{"name":"y","classes":["0","1"],"threat":["1"]}}');
    expect(s.features[0]).toMatchObject({ nullable: false, encoding: 'onehot' });
    expect(s.ignore).toEqual([]);
  });

  it('names every problem of a bad schema', () => {
    const bad = `
name: x
features:
  - { name: a, kind: numeric, min: 5, max: 1 }
  - { name: a, kind: colour }
label: { name: y, classes: [a], threat: [z] }
`;
    try {
      parseDatasetSchema(bad, 'bad.yaml');
      throw new Error('expected a SchemaFileError');
    } catch (err) {
      expect(err).toBeInstanceOf(SchemaFileError);
      const msg = (err as Error).message;
      expect(msg).toContain('bad.yaml: not a valid dataset schema');
      expect(msg).toMatch(/features\.1\.kind \(a\): kind must be numeric or categorical \(found "colour"\)/);
      expect(msg).toMatch(/features\.0\.min \(a\): min must be <= max/);
      expect(msg).toMatch(/label\.classes: list at least two classes/);
    }
    expect(() => parseDatasetSchema('a: [1, 2', 'broken.yaml')).toThrow(/broken.yaml: not valid YAML/);
  });

  it('prints one line per distinct problem with the fields it hits (a typo in 48 features is one line)', () => {
    const features = Array.from({ length: 48 }, (_, i) => `  - { name: f${i}, kind: number }`);
    const text = `name: x\nfeatures:\n${features.join('\n')}\n  - { name: g, kind: categorical, values: [] }\n  - { name: h, kind: categorical, values: [] }\nlabel: { name: y, classes: [a, b], threat: [a] }\n`;
    let err: SchemaFileError | undefined;
    try {
      parseDatasetSchema(text, 'typo.yaml');
    } catch (e) {
      err = e as SchemaFileError;
    }
    expect(err).toBeInstanceOf(SchemaFileError);
    expect(err!.problems).toEqual([
      'features[].kind: kind must be numeric or categorical (found "number"), in 48 features: f0, f1, f2, f3, f4, f5, f6, f7 and 40 more',
      'features[].values: list at least one category, in 2 features: g, h',
    ]);
    expect(err!.message.split('\n')).toHaveLength(3);
  });
});
