/** Bad command-line input: the CLI prints its message as one line and exits 2 (no stack). */
export class CliError extends Error {
  override name = 'CliError';
}
