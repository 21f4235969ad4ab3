import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a worker thread on a module of this package. Built code (.js) starts directly; source
 * (.ts, under tsx or vitest) starts its compiled copy when dist/ is fresh, else goes through tsx's
 * loader, which worker threads do not inherit.
 */
export function startWorker(entry: URL, options: WorkerOptions = {}): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, options);
  const loader = new URL('./fresh-build.mjs', import.meta.url).href;
  const boot = `import(${JSON.stringify(loader)}).then((m) => m.importBuiltOrSource(new URL(${JSON.stringify(entry.href)})))`;
  return new Worker(boot, { ...options, eval: true });
}

/** This module's sibling `name` with the extension this module itself was loaded with. */
export function sibling(meta: ImportMeta, name: string): URL {
  const ext = meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./${name}${ext}`, meta.url);
}
