#!/usr/bin/env node
// The `threatmatrix` command. It runs the compiled build in dist/ (npm ci builds it; so does
// `npm run build`); in a development checkout whose build is missing or older than the source it
// runs the TypeScript source through tsx instead (slower to start, never stale).
import { existsSync } from 'node:fs';

const source = new URL('../cli/main.ts', import.meta.url);
if (existsSync(source)) {
  const { importBuiltOrSource } = await import('../../core/runtime/fresh-build.mjs');
  await importBuiltOrSource(source);
} else {
  await import(new URL('../../dist/api/cli/main.js', import.meta.url).href);
}
