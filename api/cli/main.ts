/**
 * The `threatmatrix` command: the worker commands plus the ones that run or call the API.
 *
 *   threatmatrix start | serve | predict <in.csv> -o <out.csv>
 *   threatmatrix train | worker | import | runs | models
 */
import { runCli, WORKER_COMMANDS } from '../../workers/cli/run-cli.js';
import { predictCommand } from './predict-command.js';
import { serveCommand } from './serve-command.js';
import { startCommand } from './start-command.js';

runCli(process.argv.slice(2), {
  start: { help: 'API and workers in one process; trains the first model when none exists (npm start; --shutdown-seconds, default 10)', serves: true, run: startCommand },
  serve: { help: 'the HTTP API alone', serves: true, run: serveCommand },
  predict: { help: 'score a CSV through the API (<in.csv> -o <out.csv> [--url] [--key])', run: (argv, config) => predictCommand(argv, config) },
  ...WORKER_COMMANDS,
});
