/**
 * .github/deploy/deploy.sh against stand-ins for docker and curl (no Docker engine here): the
 * commands it runs, the readiness wait, the rollback to the previous tag, the pruning.
 */
import { spawnSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { repoPath } from './helpers/datasets.js';

// docker: logs "<TM_TAG>|<args>", remembers the tag `up` started, lists four local images.
const FAKE_DOCKER = `#!/usr/bin/env bash
echo "\${TM_TAG:-}|$*" >> "$FAKE/log"
case "$*" in
  *" up -d "*) echo "$TM_TAG" > "$FAKE/running" ;;
  "image ls"*) printf '%s\\n' new mlflow-v2.22.0 old older oldest ;;
esac
`;
// curl: /readyz answers when the running tag was marked ready.
const FAKE_CURL = `#!/usr/bin/env bash
[ -f "$FAKE/ready-$(cat "$FAKE/running" 2>/dev/null)" ]
`;

async function setUp(readyTags: string[]) {
  const dir = await mkdtemp(join(tmpdir(), 'tm-deploy-'));
  for (const [name, text] of [['docker', FAKE_DOCKER], ['curl', FAKE_CURL]]) {
    await writeFile(join(dir, name), text);
    await chmod(join(dir, name), 0o755);
  }
  await writeFile(join(dir, '.env'), 'TM_PORT=8089\nTM_API_KEYS_ADMIN=secret\n');
  await writeFile(join(dir, 'current-tag'), 'old\n');
  for (const tag of readyTags) await writeFile(join(dir, `ready-${tag}`), '');
  const run = () =>
    spawnSync('bash', [repoPath('.github/deploy/deploy.sh'), 'registry/tm', 'new'], {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, FAKE: dir, TM_HOME: dir, READY_TIMEOUT: '1', READY_POLL: '0.2' },
    });
  const log = async () => (await readFile(join(dir, 'log'), 'utf8')).trim().split('\n');
  return { dir, run, log };
}

describe('deploy.sh', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('pulls, starts the new tag, records it once /readyz answers, and prunes all but the newest images', async () => {
    const t = await setUp(['new']);
    dir = t.dir;
    const r = t.run();
    expect(r.status, r.stderr).toBe(0);
    const log = await t.log();
    expect(log[0]).toMatch(/^new\|compose --project-name threatmatrix --env-file .*\/\.env -f .*compose\/docker-compose\.yml pull api worker import bootstrap mlflow$/);
    expect(log[1]).toMatch(/^new\|compose .* up -d --no-build --remove-orphans$/);
    expect(log.filter((l) => l.includes('image rm'))).toEqual(['|image rm registry/tm:oldest']);
    expect((await readFile(join(dir, 'current-tag'), 'utf8')).trim()).toBe('new');
    expect(r.stdout).toContain('deploy: new is ready on :8089');
  });

  it('rolls back to the previous tag when the new one never gets ready, and fails', async () => {
    const t = await setUp(['old']);
    dir = t.dir;
    const r = t.run();
    expect(r.status).toBe(1);
    const ups = (await t.log()).filter((l) => l.includes(' up -d '));
    expect(ups.map((l) => l.split('|')[0])).toEqual(['new', 'old']);
    expect((await readFile(join(dir, 'current-tag'), 'utf8')).trim()).toBe('old');
    expect(r.stderr).toMatch(/new did not become ready[\s\S]*rolling back to old[\s\S]*old serves again/);
    expect((await t.log()).some((l) => l.includes('image rm'))).toBe(false);
  });

  it('refuses to run without the host settings file', () => {
    const r = spawnSync('bash', [repoPath('.github/deploy/deploy.sh'), 'registry/tm', 'new'], { encoding: 'utf8', env: { ...process.env, TM_HOME: '/nonexistent-tm-home' } });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('/nonexistent-tm-home/.env is missing');
  });
});
