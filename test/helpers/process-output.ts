import type { ChildProcess } from 'node:child_process';

/** Resolves with what a child printed on stdout so far once `pattern` appears in it. */
export const waitForOutput = (child: ChildProcess, pattern: RegExp, ms: number) =>
  new Promise<string>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${ms} ms:\n${text}`)), ms);
    child.stdout!.on('data', (d: Buffer) => {
      text += d.toString();
      if (pattern.test(text)) {
        clearTimeout(timer);
        resolve(text);
      }
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}:\n${text}`)));
  });
