#!/usr/bin/env node
// The `threatmatrix` command. In a development checkout (tsx installed) it runs the TypeScript
// source, so it never runs a stale build; a production install (--omit=dev) runs the build in dist/.
import { existsSync } from 'node:fs';

const source = new URL('../cli/main.ts', import.meta.url);
const tsx = await import('tsx/esm/api').catch(() => undefined);
if (tsx && existsSync(source)) {
  tsx.register();
  await import(source.href);
} else {
  await import(new URL('../../dist/api/cli/main.js', import.meta.url).href);
}
