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
