import { spawnSync } from 'node:child_process';
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

/** The Python the anchors run on (Debian's, with python3-sklearn / pandas / xgboost). */
export const PYTHON = '/usr/bin/python3';

/** Cardinalities of make_scale_data.py's categorical columns cat0..cat3. */
const CARDINALITIES = [3, 12, 40, 130];

/** Why the Python side cannot run (tools folder or packages missing), or undefined when it can. */
export function pythonProblem(tools: string): string | undefined {
  if (!existsSync(join(tools, 'make_scale_data.py')) || !existsSync(join(tools, 'scale_anchor.py'))) return `${tools} has no make_scale_data.py / scale_anchor.py`;
  if (!existsSync(PYTHON)) return `${PYTHON} is missing`;
  const probe = spawnSync(PYTHON, ['-c', 'import sklearn, pandas, xgboost'], { encoding: 'utf8' });
  if (probe.status !== 0) return `python packages missing (apt-get install python3-sklearn python3-pandas python3-xgboost): ${probe.stderr.trim().split('\n').pop()}`;
  return undefined;
}

/** The schema of make_scale_data.py's output: n0..n39 numeric, cat0..cat3 categorical, label. */
export function scaleSchema(rows: number, classes: number): Record<string, unknown> {
  const features: Record<string, unknown>[] = Array.from({ length: 40 }, (_, i) => ({ name: `n${i}`, kind: 'numeric' }));
  CARDINALITIES.forEach((card, j) => features.push({ name: `cat${j}`, kind: 'categorical', values: Array.from({ length: card }, (_, v) => `c${j}_${v}`) }));
  const attacks = classes === 2 ? ['attack'] : Array.from({ length: classes - 1 }, (_, i) => `attack${i + 1}`);
  return { name: `scale${rows}k${classes}`, features, label: { name: 'label', classes: ['benign', ...attacks], threat: attacks } };
}

/** Generates the CSV (when absent) and writes its schema YAML; returns both paths. */
export function scaleData(outDir: string, tools: string, rows: number, classes: number, log: (line: string) => void): { data: string; schema: string } {
  const data = join(outDir, `scale-${rows}-k${classes}.csv`);
  const schema = join(outDir, `scale-${rows}-k${classes}.yaml`);
  writeFileSync(schema, stringify(scaleSchema(rows, classes)));
  if (!existsSync(data)) {
    log(`generating ${data} (make_scale_data.py ${rows} rows, ${classes} classes)`);
    const gen = spawnSync(PYTHON, [join(tools, 'make_scale_data.py'), String(rows), `${data}.tmp`, String(classes)], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (gen.status !== 0) throw new Error(`make_scale_data.py failed with status ${gen.status}`);
    renameSync(`${data}.tmp`, data);
  }
  return { data, schema };
}

/**
 * The test rows of scale_anchor.py's split (scikit-learn train_test_split, 20 %, stratified on its
 * label coding, random_state 42), written as {test_indices} to `out`, so the boosting fit is scored
 * on the anchor's test rows: on another split of the same 1M file ROC-AUC moved by 0.0013, more
 * than the gap being measured. Returns `out`, or undefined when the Python side failed.
 */
export function anchorTestRows(data: string, out: string): string | undefined {
  const script = [
    'import json, sys, numpy as np, pandas as pd',
    'from sklearn.model_selection import train_test_split',
    'labels = pd.read_csv(sys.argv[1], usecols=["label"])["label"].astype(str)',
    'classes = sorted(labels.unique())',
    'y = (labels == "attack").astype(int).to_numpy() if len(classes) == 2 else labels.map({c: i for i, c in enumerate(classes)}).to_numpy()',
    '_, test = train_test_split(np.arange(len(y)), test_size=0.2, stratify=y, random_state=42)',
    'json.dump({"test_indices": test.tolist()}, open(sys.argv[2], "w"))',
  ].join('\n');
  const run = spawnSync(PYTHON, ['-c', script, data, out], { stdio: ['ignore', 'inherit', 'inherit'] });
  return run.status === 0 ? out : undefined;
}

