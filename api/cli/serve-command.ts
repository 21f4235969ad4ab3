import cluster from 'node:cluster';
import { parseArgs } from 'node:util';
import type { Logger } from 'pino';
import type { Config } from '../../schema/index.js';
import { untilSignal } from '../../workers/cli/worker-command.js';
import { startApi } from '../start-api.js';

/**
 * `threatmatrix serve [--workers N]`: the HTTP API alone (workers run elsewhere), until SIGTERM /
 * SIGINT. With N > 1 it runs N API processes sharing the port (node:cluster); each serves the
 * production model and follows promotions by polling, and each keeps its own /metrics.
 */
export async function serveCommand(argv: string[], config: Config, log: Logger): Promise<number> {
  const { values: a } = parseArgs({ args: argv, options: { workers: { type: 'string', default: String(config.TM_API_WORKERS) } } });
  const workers = Number(a.workers);
  if (!Number.isInteger(workers) || workers < 1) {
    log.error({ workers: a.workers }, '--workers must be a whole number >= 1');
    return 2;
  }
  const stopped = untilSignal(log);
  if (workers > 1 && cluster.isPrimary) {
    const children = Array.from({ length: workers }, () => cluster.fork());
    const exited = Promise.all(children.map((w) => new Promise((resolve) => w.once('exit', resolve))));
    await Promise.race([stopped, exited]);
    for (const w of children) if (!w.isDead()) w.process.kill('SIGTERM');
    await exited;
    return 0;
  }
  const api = await startApi(config, log);
  await stopped;
  await api.close();
  return 0;
}
