/**
 * The image's runtime stage, assembled on this machine the way the Dockerfile assembles it (there
 * is no Docker engine here): the build stage's product build, the deps stage's install command,
 * then each COPY of the runtime stage. Checked for dev dependencies, tests and source maps; then
 * the image's command (ENTRYPOINT + CMD) runs in it directly, as the container would, and serves.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoPath } from './helpers/datasets.js';
import { waitForOutput } from './helpers/process-output.js';
import { dropTestState, REDIS_URL, testPrefix } from './helpers/redis.js';

interface Stage {
  name: string;
  lines: string[];
}
/** The Dockerfile's stages, continuation lines joined. */
function stages(): Stage[] {
  const text = readFileSync(repoPath('Dockerfile'), 'utf8').replace(/\\\n\s*/g, ' ');
  const lines = text.split('\n').filter((l) => l.trim() && !l.startsWith('#'));
  const out: Stage[] = [];
  for (const line of lines) {
    const from = /^FROM \S+ AS (\S+)$/.exec(line);
    if (from) out.push({ name: from[1], lines: [] });
    else out.at(-1)?.lines.push(line);
  }
  return out;
}

const run = (cmd: string, cwd: string) => {
  const r = spawnSync('sh', ['-c', cmd], { cwd, encoding: 'utf8' });
  expect(r.status, `${cmd}\n${r.stdout}\n${r.stderr}`).toBe(0);
};

async function files(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  // `parentPath` from Node 20.12 on; `path` before.
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name));
}

describe('the runtime stage of the image', () => {
  const prefix = testPrefix('stage');
  let root: string;
  let app: string;
  let child: ChildProcess | undefined;
  const byName = Object.fromEntries(stages().map((s) => [s.name, s]));

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'tm-stage-'));
    // Build stage: its last command, `npm run build`, into a scratch directory.
    expect(byName.build.lines.at(-1)).toBe('RUN npm run build');
    run(`npm run build -- --outDir ${join(root, 'build/dist')}`, repoPath(''));
    // Deps stage: its install command as written, from the npm cache (`npm ci` just filled it) and
    // without install scripts (tfjs-node's downloads libtensorflow; here the WebAssembly backend serves).
    const install = byName.deps.lines.find((l) => l.startsWith('RUN npm ci'))!;
    const command = install.replace(/^RUN /, '').replace('npm ci', 'npm ci --offline --ignore-scripts').replace(/ && npm cache clean --force$/, '');
    expect(command).not.toContain('cache clean');
    await mkdir(join(root, 'deps'));
    await cp(repoPath('package.json'), join(root, 'deps/package.json'));
    await cp(repoPath('package-lock.json'), join(root, 'deps/package-lock.json'));
    run(command, join(root, 'deps'));
    // Runtime stage: every COPY, into its WORKDIR.
    const runtime = byName.runtime.lines;
    const workdir = /^WORKDIR (\S+)$/.exec(runtime.find((l) => l.startsWith('WORKDIR'))!)![1];
    app = join(root, 'stage');
    for (const line of runtime.filter((l) => l.startsWith('COPY '))) {
      const parts = line.split(/\s+/).slice(1);
      const from = parts[0].startsWith('--from=') ? parts.shift()!.slice('--from='.length) : undefined;
      const rawDest = parts.pop()!;
      const dest = join(app, rawDest);
      await mkdir(rawDest.endsWith('/') ? dest : dirname(dest), { recursive: true });
      for (const src of parts) {
        if (from === 'deps') await rename(join(root, 'deps', src.replace(`${workdir}/`, '')), dest);
        else if (from) await cp(join(root, from, src.replace(`${workdir}/`, '')), dest, { recursive: true });
        else if (src.includes('*')) {
          // `dir/*.ext`: the files of dir that match, into dest/
          const [dir, pattern] = [dirname(src), basename(src)];
          const re = new RegExp(`^${pattern.replaceAll('.', '\\.').replaceAll('*', '.*')}$`);
          await mkdir(dest, { recursive: true });
          for (const f of (await readdir(repoPath(dir))).filter((n) => re.test(n))) await cp(repoPath(join(dir, f)), join(dest, f));
        } else await cp(repoPath(src), rawDest.endsWith('/') ? join(dest, basename(src)) : dest, { recursive: true });
      }
    }
  }, 240_000);

  afterAll(async () => {
    child?.kill('SIGKILL');
    await dropTestState(prefix, root);
  });

  it('holds the product build only: no tests, benches or source maps', async () => {
    const built = (await files(join(app, 'dist'))).map((f) => f.slice(app.length + 1));
    expect(built.length).toBeGreaterThan(50);
    expect(built.filter((f) => f.endsWith('.map') || /\.test\.js$/.test(f) || /^dist\/(test|bench)\//.test(f))).toEqual([]);
    expect(built).toContain('dist/api/cli/main.js');
  });

  it('holds no dev dependency: nothing the lockfile marks dev, and of ours only what a production package needs', async () => {
    const lock = JSON.parse(await readFile(repoPath('package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; dependencies?: Record<string, string> }> };
    const pkg = JSON.parse(await readFile(repoPath('package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    const installed = new Set((await readdir(join(app, 'node_modules'), { withFileTypes: true })).flatMap((e) => (e.name.startsWith('@') ? [] : [e.name])));
    for (const scope of (await readdir(join(app, 'node_modules'))).filter((n) => n.startsWith('@'))) {
      for (const n of await readdir(join(app, 'node_modules', scope))) installed.add(`${scope}/${n}`);
    }
    const devOnly = Object.entries(lock.packages).filter(([k, v]) => k.startsWith('node_modules/') && v.dev).map(([k]) => k.slice('node_modules/'.length));
    expect(devOnly.length).toBeGreaterThan(100);
    expect(devOnly.filter((n) => installed.has(n))).toEqual([]);
    // Needed by a production package that is there (e.g. @types/node through tfjs-data's typings).
    const needed = new Set(Object.entries(lock.packages).filter(([k, v]) => k.startsWith('node_modules/') && !v.dev && installed.has(k.slice(13))).flatMap(([, v]) => Object.keys(v.dependencies ?? {})));
    expect(Object.keys(pkg.devDependencies).filter((n) => installed.has(n) && !needed.has(n))).toEqual([]);
    for (const tool of ['typescript', 'vitest', 'tsx', 'eslint']) expect(installed.has(tool), tool).toBe(false);
  });

  it("runs the image's command (ENTRYPOINT + CMD) as is: trains the first model and serves it", { timeout: 150_000 }, async () => {
    const runtime = byName.runtime.lines;
    const entrypoint = JSON.parse(runtime.find((l) => l.startsWith('ENTRYPOINT'))!.slice('ENTRYPOINT'.length)) as string[];
    const cmd = JSON.parse(runtime.find((l) => l.startsWith('CMD'))!.slice('CMD'.length)) as string[];
    expect(entrypoint[0]).toBe('node');
    // The image's own variables, but this machine's Redis and scratch space, on a free loopback port.
    const env = { ...process.env, NODE_ENV: 'production', REDIS_URL, TM_QUEUE_PREFIX: prefix, TM_ARTIFACTS: join(root, 'artifacts'), HOST: '127.0.0.1', PORT: '0', TM_API_KEYS_ADMIN: '', LOG_LEVEL: 'warn' };
    child = spawn(process.execPath, [...entrypoint.slice(1), ...cmd], { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const out = await waitForOutput(child, /Admin key\s+\S+/, 140_000).catch((err: Error) => Promise.reject(new Error(`${err.message}\nstderr:\n${stderr}`)));
    expect(out).toMatch(/threatmatrix is up \(serving phishing v1\)/);
    const api = /API\s+(http:\/\/\S+)/.exec(out)![1];
    const key = /Admin key\s+(\S+)/.exec(out)![1];
    const [head, first] = (await readFile(join(app, 'data/phishing.csv'), 'utf8')).split('\n');
    const names = head.replaceAll('"', '').split(',').slice(0, 30);
    const features = Object.fromEntries(names.map((n, j) => [n, Number(first.split(',')[j])]));
    const res = await fetch(`${api}/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify({ features }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ model: 'phishing', modelVersion: 1, label: expect.stringMatching(/^-?1$/) });
    const exited = new Promise<number | null>((r) => child!.once('exit', r));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });
});
