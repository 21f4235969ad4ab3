import { Writable } from 'node:stream';

/**
 * Live progress bars and log lines sharing one terminal: a log line is printed above the bars,
 * which are then drawn again below it, so neither overwrites the other.
 */
export class BarsAndLogs {
  private bars: string[] = [];

  constructor(private readonly out: Pick<NodeJS.WritableStream, 'write'>) {}

  /** Draws `lines` in place of the bars drawn before. */
  setBars(lines: string[]): void {
    this.out.write(this.erase() + this.draw(lines));
    this.bars = lines;
  }

  /** Prints `text` (whole lines) above the bars. */
  log(text: string): void {
    this.out.write(this.erase() + text + (text.endsWith('\n') ? '' : '\n') + this.draw(this.bars));
  }

  /** Leaves the bars on screen as they are: what is written next goes below them. */
  release(): void {
    this.bars = [];
  }

  /** A stream whose writes are logged above the bars (a pino destination). */
  stream(): Writable {
    return new Writable({ write: (chunk, _enc, done) => done(void this.log(String(chunk))) });
  }

  private erase(): string {
    return this.bars.length ? `\x1b[${this.bars.length}A\x1b[J` : '';
  }

  private draw(lines: string[]): string {
    return lines.map((l) => `\x1b[2K${l}\n`).join('');
  }
}

let onStderr: BarsAndLogs | undefined;
/** The one BarsAndLogs of this process's stderr: the CLI's logger and `--follow`'s bars both use it. */
export const stderrBars = () => (onStderr ??= new BarsAndLogs(process.stderr));
