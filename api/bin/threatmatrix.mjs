#!/usr/bin/env node
// The `threatmatrix` command: the built CLI when `npm run build` has run, else the TypeScript
// source through tsx (a development install).
import { existsSync } from 'node:fs';

const built = new URL('../../dist/api/cli/main.js', import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../cli/main.ts', import.meta.url).href);
}
