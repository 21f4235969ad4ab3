import { randomBytes } from 'node:crypto';
import type { Config } from '../../schema/index.js';
import { keysFrom } from '../start-api.js';

/**
 * The configuration with an admin key: the configured one, or one generated for this run (then
 * `generated` holds it, the only key ever printed: a configured key stays out of logs).
 */
export function withAdminKey(config: Config): { config: Config; generated?: string } {
  if (keysFrom(config).admin.length) return { config };
  const generated = randomBytes(18).toString('base64url');
  return { config: { ...config, TM_API_KEYS_ADMIN: generated }, generated };
}

/** The banner line about the admin key: the key itself only when it was generated for this run. */
export function adminKeyLine(generated: string | undefined): string {
  return generated ? `  Admin key   ${generated}   (generated for this run: set TM_API_KEYS_ADMIN to keep one)` : '  Admin key   from TM_API_KEYS_ADMIN (not shown)';
}
