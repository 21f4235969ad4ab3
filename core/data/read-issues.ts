export interface IssueExample {
  line?: number;
  row?: number;
  value?: string;
}

/** Severity of a data problem: errors fail validation, warnings are reported only. */
export type Severity = 'error' | 'warning';

/** One kind of problem in one column, counted over all rows, with the first few examples. */
export interface DataIssue {
  rule: string;
  severity: Severity;
  column?: string;
  message: string;
  count: number;
  /** `line`: 1-based line in the source file; `row`: 1-based data row (when lines are unknown). */
  examples: IssueExample[];
}

const MAX_EXAMPLES = 5;

/** Collects issues keyed by rule + column, so a million bad cells make one entry. */
export class IssueCollector {
  private byKey = new Map<string, DataIssue>();
  /** Errors added so far, and the latest one (lets a caller tell which record broke a rule). */
  errors = 0;
  lastError?: DataIssue;

  add(rule: string, severity: Severity, column: string | undefined, message: string, example?: IssueExample): void {
    const key = `${rule}\u0000${column ?? ''}`;
    let issue = this.byKey.get(key);
    if (!issue) {
      issue = { rule, severity, column, message, count: 0, examples: [] };
      this.byKey.set(key, issue);
    }
    issue.count++;
    if (severity === 'error') {
      this.errors++;
      this.lastError = issue;
    }
    if (example && issue.examples.length < MAX_EXAMPLES) issue.examples.push(example);
  }

  list(): DataIssue[] {
    return [...this.byKey.values()];
  }
}
