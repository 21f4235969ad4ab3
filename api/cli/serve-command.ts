import type { Logger } from 'pino';
import type { Config } from '../../schema/index.js';
import { untilSignal } from '../../workers/cli/worker-command.js';
import { startApi } from '../start-api.js';

/** `threatmatrix serve`: the HTTP API alone (workers run elsewhere), until SIGTERM / SIGINT. */
export async function serveCommand(_argv: string[], config: Config, log: Logger): Promise<number> {
  const stopped = untilSignal(log);
  const api = await startApi(config, log);
  await stopped;
  await api.close();
  return 0;
}
