/**
 * .github/workflows/deploy.yml as GitHub runs it, without GitHub: the `${{ }}` expressions its jobs
 * use are evaluated against made-up secrets and variables, the push job's `run` steps are run with
 * bash, and GitHub's rule for job outputs is applied (an output whose value contains a secret's
 * value is dropped). What the deploy job receives must be the image name, with no secret in it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { repoPath } from './helpers/datasets.js';

interface Step {
  id?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
}
interface Job {
  if?: string;
  needs?: string;
  outputs?: Record<string, string>;
  steps: Step[];
}
type Context = Record<string, unknown>;

const workflow = parseYaml(readFileSync(repoPath('.github/workflows/deploy.yml'), 'utf8')) as { jobs: Record<string, Job> };
const ACCOUNT = '123456789012';

/** Reads `a.b.c` from the context ('' when absent, as GitHub does). */
function lookup(path: string, ctx: Context): unknown {
  let v: unknown = ctx;
  for (const part of path.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
  return v ?? '';
}

/** The expression subset the workflow uses: paths, '' strings, ==, !=, &&, || and parentheses. */
function evaluate(expr: string, ctx: Context): unknown {
  const tokens = expr.match(/'[^']*'|==|!=|&&|\|\||[()]|[\w.-]+/g) ?? [];
  let at = 0;
  const primary = (): unknown => {
    const t = tokens[at++];
    if (t === '(') {
      const v = or();
      at++;
      return v;
    }
    if (t.startsWith("'")) return t.slice(1, -1);
    if (t === 'true' || t === 'false') return t === 'true';
    return lookup(t, ctx);
  };
  const compare = (): unknown => {
    const left = primary();
    if (tokens[at] === '==' || tokens[at] === '!=') {
      const op = tokens[at++];
      const right = primary();
      return op === '==' ? left === right : left !== right;
    }
    return left;
  };
  const and = (): unknown => {
    let v = compare();
    while (tokens[at] === '&&') {
      at++;
      const r = compare();
      v = v ? r : v;
    }
    return v;
  };
  const or = (): unknown => {
    let v = and();
    while (tokens[at] === '||') {
      at++;
      const r = and();
      v = v || r;
    }
    return v;
  };
  return or();
}

/** A string with `${{ }}` parts replaced by their values. */
const interpolate = (text: string, ctx: Context) => text.replace(/\$\{\{\s*([\s\S]*?)\s*\}\}/g, (_, e: string) => String(evaluate(e, ctx)));
const condition = (text: string | undefined, ctx: Context) => text === undefined || Boolean(evaluate(text.replace(/^\$\{\{|\}\}$/g, ''), ctx));

/** Runs a job's steps that give outputs: `run` steps with an id in bash (GITHUB_OUTPUT read back), the AWS actions simulated. */
function runJob(job: Job, ctx: Context): Record<string, Record<string, string>> {
  const steps: Record<string, { outputs: Record<string, string> }> = {};
  const jobCtx = { ...ctx, steps };
  let region = '';
  const dir = mkdtempSync(join(tmpdir(), 'tm-gha-'));
  try {
    for (const step of job.steps) {
      if (!condition(step.if, jobCtx)) continue;
      const inputs = Object.fromEntries(Object.entries(step.with ?? {}).map(([k, v]) => [k, interpolate(String(v), jobCtx)]));
      let outputs: Record<string, string> = {};
      if (step.uses?.startsWith('aws-actions/configure-aws-credentials')) region = inputs['aws-region'];
      else if (step.uses?.startsWith('aws-actions/amazon-ecr-login')) outputs = { registry: `${ACCOUNT}.dkr.ecr.${region}.amazonaws.com` };
      else if (step.run && step.id) {
        const out = join(dir, 'output');
        writeFileSync(out, '');
        const env = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, interpolate(String(v), jobCtx)]));
        const r = spawnSync('bash', ['-c', step.run], { env: { PATH: process.env.PATH, ...env, GITHUB_OUTPUT: out }, encoding: 'utf8' });
        expect(r.status, r.stderr).toBe(0);
        outputs = Object.fromEntries(readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
      }
      if (step.id) steps[step.id] = { outputs };
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return Object.fromEntries(Object.entries(steps).map(([id, s]) => [id, s.outputs]));
}

/** The job's outputs as the next job sees them: any containing a secret's value is dropped. */
function jobOutputs(job: Job, ctx: Context, secrets: Record<string, string>): Record<string, string> {
  const steps = Object.fromEntries(Object.entries(runJob(job, ctx)).map(([id, outputs]) => [id, { outputs }]));
  return Object.fromEntries(
    Object.entries(job.outputs ?? {}).map(([name, expr]) => {
      const value = interpolate(expr, { ...ctx, steps });
      return [name, Object.values(secrets).some((s) => s && value.includes(s)) ? '' : value];
    }),
  );
}

function contexts(event: Record<string, unknown>) {
  // Every secret the workflow names gets a distinct value; the variables are plain names.
  const text = readFileSync(repoPath('.github/workflows/deploy.yml'), 'utf8');
  const secrets = Object.fromEntries([...text.matchAll(/secrets\.([A-Z_]+)/g)].map(([, name]) => [name, `secret-value-of-${name}`]));
  const vars = { AWS_REGION: 'eu-west-1', ECR_REPOSITORY_NAME: 'threatmatrix', AWS_ROLE_ARN: '' };
  const github = { repository: 'acme/threatmatrix', sha: 'f'.repeat(40), ref: 'refs/heads/main', event_name: 'workflow_run', ...event };
  return { secrets, ctx: { secrets, vars, github } as Context };
}

const pushEvent = {
  event: {
    workflow_run: { conclusion: 'success', event: 'push', head_sha: 'a'.repeat(40), head_repository: { full_name: 'acme/threatmatrix' } },
  },
};

describe('deploy workflow', () => {
  it('hands the deploy job a non-empty image name and tag, with no secret in them', () => {
    const { secrets, ctx } = contexts(pushEvent);
    const push = workflow.jobs.push;
    expect(condition(push.if, ctx)).toBe(true);
    const outputs = jobOutputs(push, ctx, secrets);
    expect(outputs.image).toBe(`${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/threatmatrix`);
    expect(outputs.tag).toBe('a'.repeat(40));
    const deployStep = workflow.jobs.deploy.steps.find((s) => s.run?.includes('deploy.sh'))!;
    const env = Object.fromEntries(Object.entries(deployStep.env!).map(([k, v]) => [k, interpolate(v, { ...ctx, needs: { push: { outputs } } })]));
    expect(env).toEqual({ IMAGE: outputs.image, TAG: outputs.tag });
  });

  it('would hand it nothing if the image name were built from a secret (the rule this test applies)', () => {
    const { secrets, ctx } = contexts(pushEvent);
    const push = structuredClone(workflow.jobs.push);
    const image = push.steps.find((s) => s.id === 'image')!;
    image.env!.REPOSITORY = '${{ secrets.ECR_REPOSITORY_NAME }}';
    expect(jobOutputs(push, { ...ctx, secrets: { ...secrets, ECR_REPOSITORY_NAME: 'threatmatrix' } }, { ...secrets, ECR_REPOSITORY_NAME: 'threatmatrix' }).image).toBe('');
  });

  it('deploys only pushes to this repository, never a fork or a pull request, and by hand only from main', () => {
    const run = (workflowRun: Record<string, unknown>) => condition(workflow.jobs.push.if, contexts({ event: { workflow_run: { ...pushEvent.event.workflow_run, ...workflowRun } } }).ctx);
    expect(run({})).toBe(true);
    expect(run({ event: 'pull_request' })).toBe(false);
    expect(run({ head_repository: { full_name: 'mallory/threatmatrix' } })).toBe(false);
    expect(run({ conclusion: 'failure' })).toBe(false);
    const byHand = (ref: string) => condition(workflow.jobs.push.if, contexts({ event_name: 'workflow_dispatch', ref, event: {} }).ctx);
    expect(byHand('refs/heads/main')).toBe(true);
    expect(byHand('refs/heads/feature')).toBe(false);
  });
});
