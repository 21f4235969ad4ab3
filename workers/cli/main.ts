/**
 * The worker-only command line (no API code): `node dist/workers/cli/main.js worker`.
 * The full `threatmatrix` command (with serve, start, predict) is api/cli/main.ts.
 */
import { runCli, WORKER_COMMANDS } from './run-cli.js';

runCli(process.argv.slice(2), WORKER_COMMANDS);
