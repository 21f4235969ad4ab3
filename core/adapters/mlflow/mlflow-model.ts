import { randomUUID } from 'node:crypto';

/** What an MLflow Model directory (`model/`) needs from a registered version. */
export interface ModelFiles {
  runId: string;
  /** The dataset schema the model was trained on (features and label). */
  schema: { features: { name: string; kind: 'numeric' | 'categorical' }[]; label: { classes: (string | number)[] } };
  /** A few input rows, feature name -> value (missing cells left out). */
  example: Record<string, string | number>[];
  /** Our own version number, recorded in the flavor. */
  version: number;
}

/** MLflow ColSpec JSON: numeric features are doubles, categorical ones strings. */
export function signatureOf(schema: ModelFiles['schema']): { inputs: string; outputs: string } {
  const inputs = schema.features.map((f) => ({ type: f.kind === 'numeric' ? 'double' : 'string', name: f.name, required: false }));
  const outputs = [
    { type: 'string', name: 'label', required: true },
    { type: 'boolean', name: 'threat', required: true },
    ...schema.label.classes.map((c) => ({ type: 'double', name: `p_${String(c)}`, required: true })),
  ];
  return { inputs: JSON.stringify(inputs), outputs: JSON.stringify(outputs) };
}

/** `input_example.json` in pandas `split` orientation, as MLflow saves a dataframe example. */
export function inputExampleJson(files: ModelFiles): string {
  const columns = files.schema.features.map((f) => f.name);
  return JSON.stringify({ columns, data: files.example.map((row) => columns.map((c) => row[c] ?? null)) });
}

/**
 * The `MLmodel` file: flavor `threatmatrix` (the pipeline JSON in `model.json`, loaded by
 * threatmatrix, not by a Python flavor), the signature and the input example. YAML, with every
 * string written as a JSON string (a subset of YAML's double-quoted scalars).
 */
export function mlmodelYaml(files: ModelFiles, now = new Date()): string {
  const q = (s: string) => JSON.stringify(s);
  const sig = signatureOf(files.schema);
  const created = now.toISOString().replace('T', ' ').replace('Z', '000');
  return [
    'artifact_path: model',
    'flavors:',
    '  threatmatrix:',
    `    model_file: ${q('model.json')}`,
    `    format: ${q('threatmatrix-pipeline')}`,
    `    threatmatrix_version: ${files.version}`,
    `model_uuid: ${q(randomUUID().replace(/-/g, ''))}`,
    `run_id: ${q(files.runId)}`,
    'saved_input_example_info:',
    `  artifact_path: ${q('input_example.json')}`,
    `  type: ${q('dataframe')}`,
    `  pandas_orient: ${q('split')}`,
    'signature:',
    `  inputs: ${q(sig.inputs)}`,
    `  outputs: ${q(sig.outputs)}`,
    '  params: null',
    `utc_time_created: ${q(created)}`,
    '',
  ].join('\n');
}
