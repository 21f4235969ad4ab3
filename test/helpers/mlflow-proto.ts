/**
 * The request messages of the MLflow endpoints threatmatrix calls, written out by hand from
 * mlflow/protos/service.proto, model_registry.proto and mlflow_artifacts.proto (field names, types,
 * `repeated`, and which fields are required: `validate_required` in the proto or checked by the
 * server's handlers, e.g. a metric's key, value and timestamp in runs/log-batch).
 *
 * `checkMessage` reads a JSON body or a query string the way protobuf's JSON mapping does: int64 as
 * a JSON number or a decimal string, double as a number or "NaN" / "Infinity" / "-Infinity", enums
 * by name. It is stricter than MLflow in one way on purpose: an unknown field is an error (MLflow
 * drops it silently, which hides a misspelt field), and `null` is never a value.
 */
type Scalar = 'string' | 'int64' | 'int32' | 'double' | 'bool' | { enum: readonly string[] };
interface Field {
  type: Scalar | Message;
  repeated?: boolean;
  required?: boolean;
}
export type Message = { [field: string]: Field };

const s = (required = false): Field => ({ type: 'string', required });
const RunStatus = { enum: ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'] } as const;
const KeyValue: Message = { key: s(), value: s() };
const KeyValueRequired: Message = { key: s(true), value: s(true) };

const Metric: Message = {
  key: s(true),
  value: { type: 'double', required: true },
  timestamp: { type: 'int64', required: true },
  step: { type: 'int64' },
  dataset_name: s(),
  dataset_digest: s(),
  model_id: s(),
  run_id: s(),
};
const Dataset: Message = { name: s(true), digest: s(true), source_type: s(true), source: s(true), schema: s(), profile: s() };
const DatasetInput: Message = { tags: { type: KeyValueRequired, repeated: true }, dataset: { type: Dataset, required: true } };

/** `METHOD path` (under /api/2.0/mlflow/) -> the request message. */
export const MLFLOW_REQUESTS: Record<string, Message> = {
  'GET experiments/get-by-name': { experiment_name: s(true) },
  'POST experiments/create': { name: s(true), artifact_location: s(), tags: { type: KeyValue, repeated: true } },
  'POST runs/create': { experiment_id: s(), user_id: s(), run_name: s(), start_time: { type: 'int64' }, tags: { type: KeyValue, repeated: true } },
  'GET runs/get': { run_id: s(), run_uuid: s() },
  'POST runs/update': { run_id: s(), run_uuid: s(), status: { type: RunStatus }, end_time: { type: 'int64' }, run_name: s() },
  'POST runs/log-batch': { run_id: s(true), metrics: { type: Metric, repeated: true }, params: { type: KeyValueRequired, repeated: true }, tags: { type: KeyValueRequired, repeated: true } },
  'POST runs/log-inputs': { run_id: s(true), datasets: { type: DatasetInput, repeated: true }, models: { type: { model_id: s(true) }, repeated: true } },
  'GET registered-models/search': { filter: s(), max_results: { type: 'int64' }, order_by: { type: 'string', repeated: true }, page_token: s() },
  'POST registered-models/create': { name: s(true), tags: { type: KeyValue, repeated: true }, description: s() },
  'POST registered-models/set-tag': { name: s(true), key: s(true), value: s(true) },
  'POST model-versions/create': { name: s(true), source: s(true), run_id: s(), tags: { type: KeyValue, repeated: true }, run_link: s(), description: s() },
  'GET model-versions/get': { name: s(true), version: s(true) },
  'POST model-versions/set-tag': { name: s(true), version: s(true), key: s(true), value: s(true) },
  'POST registered-models/alias': { name: s(true), alias: s(true), version: s(true) },
  'GET registered-models/alias': { name: s(true), alias: s(true) },
};

const isInt = (v: unknown) => (typeof v === 'number' && Number.isInteger(v)) || (typeof v === 'string' && /^-?\d+$/.test(v));

function checkScalar(type: Scalar, v: unknown): boolean {
  if (type === 'string') return typeof v === 'string';
  if (type === 'int64' || type === 'int32') return isInt(v);
  if (type === 'double') return (typeof v === 'number' && Number.isFinite(v)) || v === 'NaN' || v === 'Infinity' || v === '-Infinity';
  if (type === 'bool') return typeof v === 'boolean';
  return typeof v === 'string' ? type.enum.includes(v) : isInt(v) && Number(v) >= 1 && Number(v) <= type.enum.length;
}

/** The problems of `body` against `message` (empty when it is a valid request), with dotted field paths. */
export function checkMessage(message: Message, body: unknown, at = ''): string[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return [`${at || 'body'}: expected an object`];
  const problems: string[] = [];
  const obj = body as Record<string, unknown>;
  for (const key of Object.keys(obj)) if (!(key in message)) problems.push(`${at}${key}: unknown field`);
  for (const [name, field] of Object.entries(message)) {
    const path = `${at}${name}`;
    const v = obj[name];
    if (v === undefined) {
      if (field.required) problems.push(`${path}: missing required field`);
      continue;
    }
    const values = field.repeated ? v : [v];
    if (!Array.isArray(values)) {
      problems.push(`${path}: expected a list`);
      continue;
    }
    if (field.required && field.repeated && values.length === 0) problems.push(`${path}: missing required field`);
    values.forEach((item, i) => {
      const itemPath = field.repeated ? `${path}[${i}]` : path;
      if (typeof field.type === 'object' && !('enum' in field.type)) problems.push(...checkMessage(field.type as Message, item, `${itemPath}.`));
      else if (!checkScalar(field.type as Scalar, item)) problems.push(`${itemPath}: ${JSON.stringify(item)} is not a valid ${typeof field.type === 'string' ? field.type : 'enum value'}`);
    });
  }
  return problems;
}

/** A query string as a message body: repeated fields may appear more than once, others once. */
export function queryAsBody(message: Message, params: URLSearchParams): Record<string, unknown> | string {
  const out: Record<string, unknown> = {};
  for (const key of new Set(params.keys())) {
    const all = params.getAll(key);
    if (message[key]?.repeated) out[key] = all;
    else if (all.length > 1) return `${key}: given ${all.length} times`;
    else out[key] = all[0];
  }
  return out;
}
