import pino, { type DestinationStream, type Logger } from 'pino';
import { redactDeep, redactText } from '../../core/security/redact.js';
import type { Config } from '../../schema/config.js';

/** The commands' logger, on stderr: credentials inside any URI it is given (fields, messages, errors) are masked. */
export function cliLogger(config: Config, destination: DestinationStream = pino.destination(2)): Logger {
  return pino(
    {
      name: 'threatmatrix',
      level: config.LOG_LEVEL,
      formatters: { log: (record) => redactDeep(record) },
      hooks: {
        logMethod(args, method) {
          return method.apply(this, args.map((a) => (typeof a === 'string' ? redactText(a) : a)) as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
}
