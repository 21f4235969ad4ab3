import type { Config } from '../../schema/index.js';
import { keysFrom } from '../start-api.js';

/**
 * Where a client command finds the API and which key it sends: `--url` (default this machine's
 * HOST:PORT, a wildcard bind read as loopback) and `--key` (default TM_API_KEY, then the first
 * configured key of the role the routes need, then the other role's).
 */
export function apiTarget(config: Config, a: { url?: string; key?: string }, role: 'predict' | 'admin'): { base: string; key: string | undefined } {
  const host = ['0.0.0.0', '::'].includes(config.HOST) ? '127.0.0.1' : config.HOST;
  const keys = keysFrom(config);
  const other = role === 'admin' ? 'predict' : 'admin';
  return { base: (a.url ?? `http://${host}:${config.PORT}`).replace(/\/$/, ''), key: a.key ?? config.TM_API_KEY ?? keys[role][0] ?? keys[other][0] };
}
