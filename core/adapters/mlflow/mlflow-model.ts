import { randomUUID } from 'node:crypto';
import type { TrackedSchema } from '../../ports/tracker.js';

/** What an MLflow Model directory (`model/`) needs from a registered version. */
export interface ModelFiles {
  runId: string;
  /** The dataset schema the model was trained on (features and label). */
  schema: TrackedSchema;
  /** A few input rows, feature name -> value (missing cells left out). */
  example: Record<string, string | number>[];
  /** Our own version number, recorded in the flavor. */
  version: number;
}

/** MLflow ColSpecs of the features: numeric ones are doubles, categorical ones strings; cells may be missing. */
export function featureColSpecs(schema: TrackedSchema): { type: string; name: string; required: boolean }[] {
  return schema.features.map((f) => ({ type: f.kind === 'numeric' ? 'double' : 'string', name: f.name, required: false }));
}

/** A dataset's schema as runs/log-inputs takes it: `{"mlflow_colspec": [...]}`, the label last. */
export function datasetSchemaJson(schema: TrackedSchema): string {
  return JSON.stringify({ mlflow_colspec: [...featureColSpecs(schema), { type: 'string', name: schema.label.name, required: true }] });
}

/** The model signature as MLflow ColSpec JSON: features in; label, threat flag and class probabilities out. */
export function signatureOf(schema: TrackedSchema): { inputs: string; outputs: string } {
  const inputs = featureColSpecs(schema);
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
