import { Document, isMap, isSeq } from 'yaml';
import type { DatasetSchemaInput } from '../../schema/index.js';

/** A schema as YAML: one line per feature (as in schema/phishing.yaml), notes as comments on top. */
export function schemaYaml(schema: DatasetSchemaInput, notes: string[] = []): string {
  const doc = new Document(schema, { aliasDuplicateObjects: false });
  const features = doc.get('features', true);
  if (isSeq(features)) for (const f of features.items) if (isMap(f)) f.flow = true;
  const label = doc.get('label', true);
  if (isMap(label)) for (const key of ['classes', 'threat']) {
    const list = label.get(key, true);
    if (isSeq(list)) list.flow = true;
  }
  const missing = doc.get('missingValues', true);
  if (isSeq(missing)) missing.flow = true;
  const ignore = doc.get('ignore', true);
  if (isSeq(ignore)) ignore.flow = true;
  doc.commentBefore = notes.map((n) => ` ${n}`).join('\n') || null;
  return doc.toString({ lineWidth: 0, flowCollectionPadding: true });
}
