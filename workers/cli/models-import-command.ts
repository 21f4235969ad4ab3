import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { registerXgboost } from '../../core/models/xgboost/register-xgboost.js';
import { parseDatasetSchema, type Config } from '../../schema/index.js';
import { CliError } from './cli-error.js';
import { stageDepsFrom } from '../wiring.js';

const USAGE = 'usage: threatmatrix models import --xgboost model.json --schema schema.yaml [--name m] [--promote] [--note why]';

/**
 * `threatmatrix models import --xgboost model.json --schema s.yaml`: registers a model trained in
 * XGBoost (model.save_model JSON) as the next version of the served model (--name, default
 * TM_MODEL_NAME); `--promote` also makes it production (audited, pinned).
 */
export async function modelsImportCommand(argv: string[], config: Config): Promise<number> {
  const { values: a, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      xgboost: { type: 'string' },
      schema: { type: 'string' },
      name: { type: 'string', default: config.TM_MODEL_NAME },
      promote: { type: 'boolean', default: false },
      note: { type: 'string' },
    },
  });
  if (positionals.length || !a.xgboost || !a.schema) throw new CliError(USAGE);
  const read = (path: string) =>
    readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new CliError(`cannot read ${path}: ${err.code ?? err.message}`);
    });
  const text = await read(a.xgboost);
  const schema = parseDatasetSchema(await read(a.schema), a.schema);
  const { registry } = stageDepsFrom(config);
  const r = await registerXgboost(registry, { text, schema, name: a.name!, by: `cli:${userInfo().username}`, promote: a.promote, note: a.note });
  const s = r.summary;
  process.stdout.write(
    `${a.name} v${r.manifest.version} imported: xgboost ${s.objective}, ${s.trees} trees, ${s.features} features (${s.namedFeatures ? 'by name' : 'in schema order'}${s.categorical ? `, ${s.categorical} categorical` : ''})\n`,
  );
  if (a.promote) process.stdout.write(r.promoted ? `${a.name} production v${r.manifest.version} (pinned)\n` : `not promoted: ${r.reason}\n`);
  return a.promote && !r.promoted ? 1 : 0;
}
