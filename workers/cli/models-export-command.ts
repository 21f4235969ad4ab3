import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ModelError } from '../../core/errors.js';
import { GradientBoosting } from '../../core/models/gradient-boosting.js';
import { Pipeline } from '../../core/models/pipeline.js';
import { exportXgboostText } from '../../core/models/xgboost/export-xgboost.js';
import type { Config } from '../../schema/index.js';
import { CliError } from './cli-error.js';
import { stageDepsFrom } from '../wiring.js';

const USAGE = 'usage: threatmatrix models export <version> --xgboost out.json [--name m]';

/**
 * `threatmatrix models export <v> --xgboost out.json`: writes a gradient-boosting version as an
 * XGBoost JSON model (exportXgboostText). Its features are the columns of the version's model
 * matrix (after encoding and imputation), so XGBoost must be given those columns; a calibrated
 * version's calibration is not part of the file.
 */
export async function modelsExportCommand(argv: string[], config: Config): Promise<number> {
  const { values: a, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { xgboost: { type: 'string' }, name: { type: 'string', default: config.TM_MODEL_NAME } } });
  const version = positionals[0]?.replace(/^v/, '');
  if (positionals.length !== 1 || !version || !/^\d+$/.test(version) || !a.xgboost) throw new CliError(USAGE);
  const { registry } = stageDepsFrom(config);
  const entry = await registry.get(a.name!, Number(version));
  if (!entry) throw new CliError(`no version ${version} of ${a.name}`);
  const pipeline = await Pipeline.fromJSON(entry.model);
  if (!(pipeline.model instanceof GradientBoosting)) throw new CliError(`${a.name} v${version} is ${pipeline.model.kind}: only gradient_boosting versions export to XGBoost`);
  const names = pipeline.preprocessor.outputNames;
  let text: string;
  try {
    text = exportXgboostText(pipeline.model, { featureNames: names });
  } catch (err) {
    if (err instanceof ModelError) throw new CliError(`${a.name} v${version}: ${err.message}`);
    throw err;
  }
  await writeFile(a.xgboost, text).catch((err: NodeJS.ErrnoException) => {
    throw new CliError(`cannot write ${a.xgboost}: ${err.code ?? err.message}`);
  });
  const trees = (JSON.parse(text) as { learner: { gradient_booster: { model: { trees: unknown[] } } } }).learner.gradient_booster.model.trees.length;
  process.stdout.write(`${a.name} v${version} exported to ${a.xgboost}: XGBoost JSON, ${trees} trees, ${names.length} features (the model matrix's columns: ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', ...' : ''})\n`);
  if (pipeline.calibrator) process.stdout.write('note: the version is calibrated; the file holds the uncalibrated model\n');
  return 0;
}
