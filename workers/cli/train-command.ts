import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import type { Logger } from 'pino';
import { RegisterResult } from '../../schema/jobs.js';
import { RunConfigError, STAGES, type Config, type StageName } from '../../schema/index.js';
import { getJson } from '../../core/artifacts/json.js';
import { runKeys } from '../../core/pipeline/run-keys.js';
import type { ArtifactStore } from '../../core/ports/artifact-store.js';
import { runOutcome } from '../../core/pipeline/run-outcome.js';
import type { ValidationReport } from '../../core/validation/validate-dataset.js';
import { RunProducer } from '../flow.js';
import { QUEUE_OF, redisConnection } from '../queues.js';
import { quietRedis } from '../redis-errors.js';
import { cancelRun } from '../run-control.js';
import { runFailure } from '../run-failure.js';
import { startStageWorkers } from '../stage-workers.js';
import { claimStoreMarker } from '../store-marker.js';
import { stageDepsFrom } from '../wiring.js';
import { followRun } from './follow.js';
import { metricsTable } from './metrics-table.js';
import { RUN_OPTIONS, runSpecFromArgs } from './run-args.js';
import { searchNotes } from './search-notes.js';

/** `threatmatrix train`: enqueues a run; with --follow shows it live and prints the result. */
export async function trainCommand(argv: string[], config: Config, log: Logger): Promise<number> {
  const { values: a } = parseArgs({
    args: argv,
    options: { ...RUN_OPTIONS, follow: { type: 'boolean', default: false }, 'local-worker': { type: 'string', default: 'auto' }, 'unless-served': { type: 'boolean', default: false } },
  });
  let run;
  try {
    run = await runSpecFromArgs(a, undefined, { timeBudgetSeconds: config.TM_TIME_BUDGET_SECONDS });
  } catch (err) {
    if (!(err instanceof RunConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 2;
  }
  const { runId } = run;
  const deps = stageDepsFrom(config, log);
  if (a['unless-served']) {
    // A deployment's bootstrap job: train the first model only.
    const production = await deps.registry.alias(run.modelName, 'production');
    if (production !== undefined) {
      process.stderr.write(`${run.modelName} v${production} is in production: nothing to train\n`);
      return 0;
    }
  }
  const conn = redisConnection(config, 'producer');
  await conn.connect();
  const producer = new RunProducer(conn, config.TM_QUEUE_PREFIX);
  const local = a['local-worker'] === 'always' || (a['local-worker'] === 'auto' && (await workerCount(config, conn)) === 0);
  const workerConn = local ? redisConnection(config, 'worker') : undefined;
  if (workerConn) await claimStoreMarker(workerConn, config.TM_QUEUE_PREFIX, deps.store);
  const embedded = workerConn ? startStageWorkers({ connection: workerConn, prefix: config.TM_QUEUE_PREFIX, deps, sandbox: true }) : undefined;
  if (embedded) {
    await embedded.ready;
    process.stderr.write('no stage workers are running: this process runs them until the run ends\n');
  }
  let interrupt: (() => void) | undefined;
  try {
    if (!a.follow && !embedded) {
      await producer.enqueue(run);
      process.stdout.write(`${runId}\n`);
      return 0;
    }
    process.stderr.write(`run ${runId}: ${run.source.kind} ${'path' in run.source ? run.source.path : ''}, time budget ${run.timeBudgetSeconds ? `${run.timeBudgetSeconds} s` : 'none'}\n`);
    // Ctrl-C cancels the run this command started (a second Ctrl-C exits at once).
    const interrupted = new Promise<'interrupted'>((resolve) => process.once('SIGINT', (interrupt = () => resolve('interrupted'))));
    const outcome = await Promise.race([followRun(runId, () => redisConnection(config, 'worker'), config.TM_QUEUE_PREFIX, () => producer.enqueue(run)), interrupted]);
    if (outcome === 'interrupted') {
      process.stderr.write(`\nCtrl-C: cancelling run ${runId}\n`);
      const c = await cancelRun(conn, config.TM_QUEUE_PREFIX, deps.store, runId, { reason: 'Ctrl-C on train --follow', tracker: deps.tracker });
      const left = c.state === 'cancelled' && c.stillActive ? `; ${c.stillActive} job(s) still stopping` : '';
      process.stderr.write(c.state === 'cancelled' ? `cancelled run ${runId}: its jobs are stopped${left}\n` : `run ${runId} was not cancelled (${c.state})\n`);
      return 130;
    }
    const result = RegisterResult.parse(outcome);
    process.stdout.write(`${metricsTable(runId, result)}\n`);
    const notes = await searchNotes(deps.store, run);
    if (notes.length) process.stdout.write(`search notes:\n${notes.map((n) => `  ${n}`).join('\n')}\n`);
    if (result.failures.length && !run.allowPartial) {
      process.stderr.write(`run ${runId} is partial (${result.failures.map((f) => f.family).join(', ')} failed): exit 1; --allow-partial accepts it\n`);
      return 1;
    }
    return 0;
  } catch (err) {
    const outcome = await runOutcome(deps.store, runId).catch(() => undefined);
    if (outcome?.state === 'cancelled') {
      process.stderr.write(`run ${runId} was cancelled at ${outcome.at} (${outcome.reason})\n`);
      return 1;
    }
    // The headline names the stage that failed first and why, not the parent BullMQ failed after it.
    const first = await firstFailureOf(config, conn, runId).catch(() => undefined);
    process.stderr.write(first ? `run ${runId} failed at ${first.stage}: ${first.reason}\n` : `run ${runId} failed: ${(err as Error).message}\n`);
    await showValidationReport(config, deps.store, runId);
    return 1;
  } finally {
    if (interrupt) process.off('SIGINT', interrupt);
    await embedded?.close(10_000);
    workerConn?.disconnect();
    await producer.close();
    conn.disconnect();
  }
}

async function firstFailureOf(config: Config, connection: ReturnType<typeof redisConnection>, runId: string) {
  const queues = Object.fromEntries(STAGES.map((s) => [s, new Queue(QUEUE_OF[s], { connection, prefix: config.TM_QUEUE_PREFIX })])) as Record<StageName, Queue>;
  try {
    return await runFailure(queues, runId);
  } finally {
    await Promise.all(Object.values(queues).map((q) => q.close()));
  }
}

async function workerCount(config: Config, connection: ReturnType<typeof redisConnection>): Promise<number> {
  const queues = STAGES.map((s) => quietRedis(new Queue(QUEUE_OF[s], { connection, prefix: config.TM_QUEUE_PREFIX })));
  try {
    const counts = await Promise.all(queues.map((q) => q.getWorkersCount()));
    return counts.reduce((a, b) => Math.min(a, b), Infinity);
  } finally {
    await Promise.all(queues.map((q) => q.close()));
  }
}

/** After a failed run: the stored validation report's errors, when validation was what failed. */
async function showValidationReport(config: Config, store: ArtifactStore, runId: string): Promise<void> {
  const key = runKeys(runId).validation;
  const report = await getJson<ValidationReport>(store, key).catch(() => undefined);
  if (!report || report.ok) return;
  process.stderr.write(`validation report (${config.TM_ARTIFACTS}/${key}):\n`);
  for (const i of report.issues.filter((x) => x.severity === 'error').slice(0, 10)) {
    const ex = i.examples[0];
    const where = ex?.line ? ` e.g. line ${ex.line}` : ex?.row ? ` e.g. row ${ex.row}` : '';
    process.stderr.write(`  [${i.rule}] ${i.message}: ${i.count} cell(s)${where}${ex?.value !== undefined ? ` "${ex.value}"` : ''}\n`);
  }
}
