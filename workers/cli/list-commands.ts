import type { Config } from '../../schema/index.js';
import { getJson } from '../../core/artifacts/json.js';
import { runKeys } from '../../core/pipeline/run-keys.js';
import type { RegisterResult } from '../../schema/jobs.js';
import { stageDepsFrom } from '../wiring.js';

/** `threatmatrix runs`: every run in the artifact store with its outcome. */
export async function runsCommand(config: Config): Promise<number> {
  const { store } = stageDepsFrom(config);
  const ids = [...new Set((await store.list('runs/')).map((k) => k.split('/')[1]))];
  for (const id of ids) {
    const result = await getJson<RegisterResult>(store, runKeys(id).metrics);
    const failed = !result && (await getJson<{ ok: boolean }>(store, runKeys(id).validation))?.ok === false;
    const state = result ? `v${result.version} ${result.best} f1 ${result.metrics.f1?.toFixed(4)}` : failed ? 'failed validation' : 'unfinished';
    process.stdout.write(`${id}  ${state}\n`);
  }
  return 0;
}

/** `threatmatrix models`: registered versions per model, production marked. */
export async function modelsCommand(config: Config): Promise<number> {
  const { registry } = stageDepsFrom(config);
  for (const name of await registry.names()) {
    const production = await registry.alias(name, 'production');
    for (const m of await registry.versions(name)) {
      const metrics = Object.entries(m.metrics)
        .map(([k, v]) => `${k} ${v.toFixed(4)}`)
        .join(', ');
      process.stdout.write(`${name} v${m.version}${m.version === production ? ' (production)' : ''}  ${m.family}  ${metrics}  run ${m.runId}\n`);
    }
  }
  return 0;
}
