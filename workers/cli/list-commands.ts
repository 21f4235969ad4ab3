import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import type { Config } from '../../schema/index.js';
import type { ModelRegistry } from '../../core/ports/model-registry.js';
import { runOutcome, type RunOutcome } from '../../core/pipeline/run-outcome.js';
import type { ArtifactStore } from '../../core/ports/artifact-store.js';
import { redisConnection } from '../queues.js';
import { trackerFrom } from '../wiring.js';
import { cancelRun } from '../run-control.js';
import { storedRunIds } from '../run-jobs.js';
import { stageDepsFrom } from '../wiring.js';

/** One line of `threatmatrix runs`. */
function describeOutcome(o: RunOutcome): string {
  if (o.state === 'succeeded' || o.state === 'partial') {
    const r = o.result;
    const failed = r.failures.length ? `  partial: ${r.failures.map((f) => `${f.family} failed (${f.error.slice(0, 80)})`).join('; ')}` : '';
    return `v${r.version} ${r.best} f1 ${r.metrics.f1?.toFixed(4)}${failed}`;
  }
  if (o.state === 'cancelled') return `cancelled ${o.at} (${o.reason})`;
  return o.state === 'failed-validation' ? 'failed validation' : 'unfinished';
}

/** `threatmatrix runs`: every run in the artifact store with its outcome; `runs cancel <id>` cancels one. */
export async function runsCommand(argv: string[], config: Config): Promise<number> {
  const { store } = stageDepsFrom(config);
  if (argv[0] === 'cancel') return cancelCommand(argv[1], config, store);
  if (argv.length) {
    process.stderr.write('usage: threatmatrix runs [cancel <run id>]\n');
    return 2;
  }
  for (const id of await storedRunIds(store)) process.stdout.write(`${id}  ${describeOutcome(await runOutcome(store, id))}\n`);
  return 0;
}

const MODELS_USAGE = `usage: threatmatrix models                    registered versions, production marked
       threatmatrix models history [--name m]   every production change: when, who, from -> to, why
       threatmatrix models show <v> [--name m]  one version: params, metrics, global importance (mean |SHAP|)
       threatmatrix models pin|unpin [--name m] [--note why]
       threatmatrix models import --xgboost model.json --schema s.yaml [--name m] [--promote] [--note why]
       threatmatrix models export <version> --xgboost out.json [--name m]   a gradient-boosting version as XGBoost JSON
       threatmatrix models threshold <version> [<value> | --max-fpr x | --min-recall x | --min-precision x | --max-f1] [--note why]
(--name defaults to TM_MODEL_NAME)
`;

/** `threatmatrix models [history | show <v> | pin | unpin | import | export | threshold]`. */
export async function modelsCommand(argv: string[], config: Config): Promise<number> {
  if (argv[0] === 'import') return (await import('./models-import-command.js')).modelsImportCommand(argv.slice(1), config);
  if (argv[0] === 'export') return (await import('./models-export-command.js')).modelsExportCommand(argv.slice(1), config);
  if (argv[0] === 'threshold') return (await import('./threshold-command.js')).thresholdCommand(argv.slice(1), config);
  const { values: a, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { name: { type: 'string', default: config.TM_MODEL_NAME }, note: { type: 'string' } } });
  const { registry } = stageDepsFrom(config);
  const [verb] = positionals;
  if (verb === undefined) return listModels(registry);
  if (verb === 'history') {
    const state = await registry.aliasState(a.name!, 'production');
    for (const e of state.events) process.stdout.write(`${e.at}  ${e.action.padEnd(12)} ${e.from === null ? '-' : `v${e.from}`} -> ${e.to === null ? '-' : `v${e.to}`}${e.pinned ? ' (pinned)' : ''}  by ${e.by}${e.why ? `: ${e.why}` : ''}\n`);
    process.stdout.write(`production: ${state.version === undefined ? 'none' : `v${state.version}`}${state.pinned ? ', pinned' : ''}\n`);
    return 0;
  }
  if (verb === 'show') return showModel(registry, a.name!, positionals[1]);
  if (verb === 'pin' || verb === 'unpin') {
    const r = await registry.changeAlias(a.name!, 'production', { action: verb, by: `cli:${userInfo().username}`, why: a.note ?? `${verb}ned with the CLI` });
    if (!r.changed) {
      process.stderr.write(`${r.reason}\n`);
      return 1;
    }
    process.stdout.write(`${a.name} production v${r.event.to} ${verb === 'pin' ? 'pinned: runs register candidates but do not promote' : 'unpinned: runs promote by their rule again'}\n`);
    return 0;
  }
  process.stderr.write(MODELS_USAGE);
  return 2;
}

/** `threatmatrix models show <v>`: one version's family, metrics and global importance (mean |SHAP| on its test rows). */
async function showModel(registry: ModelRegistry, name: string, ref: string | undefined): Promise<number> {
  const version = ref?.replace(/^v/, '');
  if (!version || !/^\d+$/.test(version)) {
    process.stderr.write('usage: threatmatrix models show <version> [--name model]\n');
    return 2;
  }
  const entry = await registry.get(name, Number(version));
  if (!entry) {
    process.stderr.write(`no version ${version} of ${name}\n`);
    return 1;
  }
  const m = entry.manifest;
  process.stdout.write(`${name} v${m.version}  ${m.family}  run ${m.runId}  ${m.createdAt}\n`);
  process.stdout.write(`params   ${JSON.stringify(m.params)}\n`);
  process.stdout.write(`metrics  ${Object.entries(m.metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ')}\n`);
  if (!m.importance) {
    process.stdout.write('importance: none (MLP and KNN versions, and versions registered before explanations, have none)\n');
    return 0;
  }
  process.stdout.write(`importance: mean |SHAP| (${m.importance.output}) on ${m.importance.rows} test rows\n`);
  for (const f of m.importance.features) process.stdout.write(`  ${f.feature.padEnd(32)} ${f.meanAbs.toFixed(4)}\n`);
  return 0;
}

async function listModels(registry: ModelRegistry): Promise<number> {
  for (const name of await registry.names()) {
    const production = await registry.aliasState(name, 'production');
    for (const m of await registry.versions(name)) {
      const metrics = Object.entries(m.metrics)
        .map(([k, v]) => `${k} ${v.toFixed(4)}`)
        .join(', ');
      const mark = m.version === production.version ? (production.pinned ? ' (production, pinned)' : ' (production)') : '';
      process.stdout.write(`${name} v${m.version}${mark}  ${m.family}  ${metrics}  run ${m.runId}\n`);
    }
  }
  return 0;
}

/** `threatmatrix runs cancel <id>`: stops the run's jobs on every worker and removes its queued ones. */
async function cancelCommand(runId: string | undefined, config: Config, store: ArtifactStore): Promise<number> {
  if (!runId) {
    process.stderr.write('usage: threatmatrix runs cancel <run id>\n');
    return 2;
  }
  const conn = redisConnection(config, 'producer');
  await conn.connect();
  try {
    const c = await cancelRun(conn, config.TM_QUEUE_PREFIX, store, runId, { reason: 'threatmatrix runs cancel', tracker: trackerFrom(config, store) });
    if (c.state === 'unknown') process.stderr.write(`no run ${runId} in queue prefix ${config.TM_QUEUE_PREFIX} or the artifact store\n`);
    else if (c.state === 'finished') process.stderr.write(`run ${runId} has already ended: nothing to cancel\n`);
    else process.stdout.write(`cancelled run ${runId}: ${c.removed} queued job(s) removed${c.stillActive ? `, ${c.stillActive} still stopping` : ', none left running'}\n`);
    return c.state === 'cancelled' ? 0 : c.state === 'unknown' ? 2 : 1;
  } finally {
    conn.disconnect();
  }
}
