// Entry BullMQ forks for train-family jobs when running from source: loads the TypeScript processor
// through tsx (forked processes do not inherit a loader registered in code).
const { register } = await import('tsx/esm/api');
register();
const mod = await import(new URL('./train-family.ts', import.meta.url).href);
export default mod.default;
