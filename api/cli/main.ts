/**
 * The `threatmatrix` command: the worker commands plus the ones that run or call the API.
 *
 *   threatmatrix start | serve | predict <in.csv> -o <out.csv> | feedback <labels.csv> | monitor [--follow]
 *   threatmatrix train | worker | import | runs | models
 */
import { runCli, WORKER_COMMANDS } from '../../workers/cli/run-cli.js';

// Command modules load when their command runs (see WORKER_COMMANDS).
runCli(process.argv.slice(2), {
  start: {
    help: 'API and workers in one process; trains the first model when none exists (npm start; --shutdown-seconds, default 10)',
    serves: true,
    run: async (argv, config, log) => (await import('./start-command.js')).startCommand(argv, config, log),
  },
  serve: { help: 'the HTTP API alone', serves: true, run: async (argv, config, log) => (await import('./serve-command.js')).serveCommand(argv, config, log) },
  predict: { help: 'score a CSV through the API (<in.csv> -o <out.csv> [--explain k] [--url] [--key])', run: async (argv, config) => (await import('./predict-command.js')).predictCommand(argv, config) },
  feedback: { help: 'send true labels to the API (<labels.csv> with prediction_id,label [--url] [--key])', run: async (argv, config) => (await import('./feedback-command.js')).feedbackCommand(argv, config) },
  monitor: { help: "a model's monitored windows through the API ([--model] [--from] [--to] [--follow [--every s]] [--json] [--url] [--key])", run: async (argv, config) => (await import('./monitor-command.js')).monitorCommand(argv, config) },
  ...WORKER_COMMANDS,
});
