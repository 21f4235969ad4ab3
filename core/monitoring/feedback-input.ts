import Papa from 'papaparse';
import { MAX_FEEDBACK_ROWS } from '../../schema/feedback.js';
import { PREDICTION_ID } from './prediction-id.js';

/** A refused feedback row: `row` counts rows from 1 (a CSV's data rows, a JSON list's items). */
export interface FeedbackProblem {
  row?: number;
  field: string;
  rule: string;
  message: string;
}

/** Checked labels, or the problems that refuse them (the first `maxProblems`). */
export type FeedbackInput = { ok: true; labels: { predictionId: string; label: string }[] } | { ok: false; problems: FeedbackProblem[] };

const MAX_PROBLEMS = 20;
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks rows of (id, label) against the model's classes; ids are lower-cased UUIDv7. */
function check(rows: Iterable<[row: number, id: unknown, label: unknown]>, classes: readonly string[], prefix: (row: number) => string): FeedbackInput {
  const known = new Set(classes);
  const labels: { predictionId: string; label: string }[] = [];
  const problems: FeedbackProblem[] = [];
  const refuse = (p: FeedbackProblem) => problems.length < MAX_PROBLEMS && problems.push(p);
  for (const [row, id, label] of rows) {
    const predictionId = typeof id === 'string' ? id.trim().toLowerCase() : '';
    const text = typeof label === 'number' && Number.isFinite(label) ? String(label) : typeof label === 'string' ? label.trim() : undefined;
    if (!PREDICTION_ID.test(predictionId)) {
      refuse({ row, field: `${prefix(row)}predictionId`, rule: 'prediction-id', message: `row ${row}: the prediction id must be a predictionId the API answered with (a UUIDv7)` });
    } else if (text === undefined || !known.has(text)) {
      const shown = String(label).slice(0, 40);
      refuse({ row, field: `${prefix(row)}label`, rule: 'known-label', message: `row ${row}: label ${JSON.stringify(shown)} is not a class of the model (${classes.join(', ')})` });
    } else labels.push({ predictionId, label: text });
  }
  return problems.length ? { ok: false, problems } : { ok: true, labels };
}

const tooMany = (n: number): FeedbackInput => ({ ok: false, problems: [{ field: 'body', rule: 'max-rows', message: `at most ${MAX_FEEDBACK_ROWS} labels per call, not ${n}` }] });

/** A JSON body: `[{predictionId, label}, ...]`. */
export function feedbackFromJson(body: unknown, classes: readonly string[]): FeedbackInput {
  if (!Array.isArray(body)) return { ok: false, problems: [{ field: 'body', rule: 'invalid_type', message: 'send a JSON list of {predictionId, label}' }] };
  if (body.length === 0) return { ok: false, problems: [{ field: 'body', rule: 'too_small', message: 'the list holds no labels' }] };
  if (body.length > MAX_FEEDBACK_ROWS) return tooMany(body.length);
  const extra = body.findIndex((r) => !isRecord(r) || Object.keys(r).some((k) => k !== 'predictionId' && k !== 'label'));
  if (extra >= 0) {
    const message = `row ${extra + 1}: each item is an object with predictionId and label only`;
    return { ok: false, problems: [{ row: extra + 1, field: String(extra), rule: 'unrecognized_keys', message }] };
  }
  const rows = (body as Record<string, unknown>[]).map((r, i): [number, unknown, unknown] => [i + 1, r.predictionId, r.label]);
  return check(rows, classes, (row) => `${row - 1}.`);
}

/** A CSV body with a header holding `prediction_id` and `label` (other columns are ignored). */
export function feedbackFromCsv(text: string, classes: readonly string[]): FeedbackInput {
  const { data, errors } = Papa.parse<string[]>(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, { skipEmptyLines: 'greedy' });
  if (errors.length) {
    const row = errors[0].row ?? 0;
    return { ok: false, problems: [{ row, field: 'body', rule: 'csv-syntax', message: `row ${row}: ${errors[0].message}` }] };
  }
  const [header, ...records] = data;
  const names = (header ?? []).map((h) => h.trim().toLowerCase());
  const idAt = names.indexOf('prediction_id');
  const labelAt = names.indexOf('label');
  if (idAt < 0 || labelAt < 0) {
    const missing = idAt < 0 ? 'prediction_id' : 'label';
    return { ok: false, problems: [{ field: missing, rule: 'required-column', message: `the CSV header must name prediction_id and label (${missing} is missing)` }] };
  }
  if (!records.length) return { ok: false, problems: [{ field: 'body', rule: 'too_small', message: 'the CSV holds no labels' }] };
  if (records.length > MAX_FEEDBACK_ROWS) return tooMany(records.length);
  const ragged = records.findIndex((r) => r.length !== names.length);
  if (ragged >= 0) {
    const message = `row ${ragged + 1}: ${records[ragged].length} fields where the header has ${names.length}`;
    return { ok: false, problems: [{ row: ragged + 1, field: 'body', rule: 'row-width', message }] };
  }
  return check(records.map((r, i): [number, unknown, unknown] => [i + 1, r[idAt], r[labelAt]]), classes, () => '');
}
