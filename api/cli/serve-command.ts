import cluster from 'node:cluster';
import { parseArgs } from 'node:util';
import type { Logger } from 'pino';
import type { Config } from '../../schema/index.js';
import { untilSignal } from '../../workers/cli/worker-command.js';
import { startApi } from '../start-api.js';
import { adminKeyLine, withAdminKey } from './admin-key.js';

/**
 * `threatmatrix serve [--workers N] [--shutdown-seconds S]`: the HTTP API alone (workers run
 * elsewhere), until SIGTERM / SIGINT, then a drain: no new connections, requests in flight
 * answered, up to S seconds (TM_API_SHUTDOWN_SECONDS). Without TM_API_KEYS_ADMIN it generates an
 * admin key for this run and prints it once, so no route is open to everyone by omission. With
 * N > 1 it runs N API processes sharing the port (node:cluster), all with the same keys; each
 * serves the production model and follows promotions by polling, and each keeps its own /metrics.
 */
export async function serveCommand(argv: string[], configured: Config, log: Logger): Promise<number> {
  const { values: a } = parseArgs({
    args: argv,
    options: { workers: { type: 'string', default: String(configured.TM_API_WORKERS) }, 'shutdown-seconds': { type: 'string', default: String(configured.TM_API_SHUTDOWN_SECONDS) } },
  });
  const workers = Number(a.workers);
  if (!Number.isInteger(workers) || workers < 1) {
    log.error({ workers: a.workers }, '--workers must be a whole number >= 1');
    return 2;
  }
  const deadlineMs = Number(a['shutdown-seconds']) * 1000;
  if (!Number.isFinite(deadlineMs) || deadlineMs < 0) {
    log.error({ shutdownSeconds: a['shutdown-seconds'] }, '--shutdown-seconds must be a number >= 0');
    return 2;
  }
  const stopped = untilSignal(log);
  // Cluster children get the primary's key through their environment (they parse it like any other).
  const { config, generated } = cluster.isPrimary ? withAdminKey(configured) : { config: configured, generated: undefined };
  if (workers > 1 && cluster.isPrimary) {
    const children = Array.from({ length: workers }, () => cluster.fork({ TM_API_KEYS_ADMIN: config.TM_API_KEYS_ADMIN }));
    const exited = Promise.all(children.map((w) => new Promise((resolve) => w.once('exit', resolve))));
    if (generated) banner(`http://${config.HOST}:${config.PORT}`, generated);
    await Promise.race([stopped, exited]);
    for (const w of children) if (!w.isDead()) w.process.kill('SIGTERM');
    // Children drain on their own deadline; past it (and a margin) they are killed.
    const killer = setTimeout(() => children.forEach((w) => w.isDead() || w.process.kill('SIGKILL')), deadlineMs + 5_000);
    await exited;
    clearTimeout(killer);
    return 0;
  }
  const api = await startApi(config, log);
  if (generated) banner(api.url, generated);
  await stopped;
  await api.close(deadlineMs);
  return 0;
}

function banner(url: string, generated: string): void {
  process.stdout.write(`threatmatrix API at ${url}\n${adminKeyLine(generated)}\n`);
}
