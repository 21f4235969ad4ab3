// Entry forked for train-family jobs when the parent runs from source: the compiled child when
// dist/ is fresh, else the TypeScript child through tsx (forked processes do not inherit a loader
// registered in code).
import { importBuiltOrSource } from '../../core/runtime/fresh-build.mjs';

await importBuiltOrSource(new URL('./family-child.ts', import.meta.url));
