// Entry forked for train-family jobs when running from source: loads the TypeScript child through
// tsx (forked processes do not inherit a loader registered in code).
const { register } = await import('tsx/esm/api');
register();
await import(new URL('./family-child.ts', import.meta.url).href);
