import { parse as parseYaml } from 'yaml';

/** Input (a schema file, a run file) that breaks rules: the message, then one line per problem. */
export class ProblemListError extends Error {
  constructor(
    message: string,
    /** One line per distinct problem, `path: rule`, with the fields it hits. */
    readonly problems: string[] = [],
  ) {
    super(problems.length ? `${message}\n  ${problems.join('\n  ')}` : message);
  }
}

/** YAML or JSON text (JSON is YAML) as plain data; text that is neither throws `fail`'s error naming `source`. */
export function readYamlText(text: string, source: string, fail: (message: string) => ProblemListError): unknown {
  try {
    return parseYaml(text);
  } catch (err) {
    throw fail(`${source}: not valid YAML or JSON (${(err as Error).message})`);
  }
}
