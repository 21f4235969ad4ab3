/**
 * One worker process of the split-run test: runs the named stages of the run in `argv[2]` (a
 * RunSpec JSON file) with the adapters the configuration picks (MLFLOW_TRACKING_URI, TM_ARTIFACTS),
 * as a queue worker would. `ingest,validate,transform` in one process, `train:<family>,register`
 * in another: nothing but the artifact store travels between them.
 */
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { ingest, register, trainFamily, transform, validate } from '../../core/pipeline/stages.js';
import { FamilyResult, RunSpec, type TrainResult } from '../../schema/jobs.js';
import { loadConfig } from '../../schema/config.js';
import { stageDepsFrom } from '../../workers/wiring.js';

const run = RunSpec.parse(JSON.parse(readFileSync(process.argv[2], 'utf8')));
const warn = (o: unknown, m?: string) => void process.stderr.write(`warn ${m} ${JSON.stringify(o)}\n`);
const deps = stageDepsFrom(loadConfig(), { warn } as unknown as Pick<Logger, 'warn'>);
const trained: TrainResult = { families: [], failures: [], skipped: [] };
for (const stage of process.argv[3].split(',')) {
  if (stage === 'ingest') await ingest(run, deps);
  else if (stage === 'validate') await validate(run, deps);
  else if (stage === 'transform') await transform(run, deps);
  else if (stage.startsWith('train:')) trained.families.push(FamilyResult.parse(await trainFamily(run, stage.slice(6), deps, 1)));
  else if (stage === 'register') process.stdout.write(`${JSON.stringify(await register(run, trained, deps))}\n`);
  else throw new Error(`unknown stage ${stage}`);
}
