import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDatasetSchema } from '../schema/index.js';
import { repoPath } from './helpers/datasets.js';

const run = promisify(execFile);
const infer = (...args: string[]) =>
  run(process.execPath, [repoPath('api/bin/threatmatrix.mjs'), 'schema', 'infer', ...args], { cwd: repoPath('') }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );

describe('threatmatrix schema infer', () => {
  let dir: string;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('writes a schema file that loads, and says what it decided', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-infer-'));
    const out = join(dir, 'phishing.yaml');
    const r = await infer('data/phishing.csv', '--label', 'Result', '-o', out);
    expect(r).toMatchObject({ code: 0, stdout: '' });
    expect(r.stderr).toMatch(/threat class\(es\) -1: every class but the most frequent \(1\)/);
    expect(r.stderr).toMatch(/wrote .*phishing\.yaml: 30 features, 0 ignored, label Result \(2 classes\)/);
    const schema = parseDatasetSchema(await readFile(out, 'utf8'), out);
    expect(schema).toMatchObject({ name: 'phishing', label: { classes: [-1, 1], threat: [-1] } });
    expect(schema.features).toHaveLength(30);
  }, 120_000);

  it('refuses a missing or unknown label in one line, exit 2', async () => {
    expect(await infer('data/phishing.csv')).toMatchObject({ code: 2, stderr: expect.stringMatching(/^usage: threatmatrix schema infer/) });
    const unknown = await infer('data/phishing.csv', '--label', 'Verdict');
    expect(unknown).toMatchObject({ code: 2, stderr: expect.stringMatching(/^the label column Verdict is not in the header \(having_IP_Address, /) });
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    expect(await infer('data/phishing.csv', '--label', 'Result', '--bounds', 'wide')).toMatchObject({ code: 2, stderr: '--bounds must be sign or observed, not "wide"\n' });
  }, 120_000);
});
