import { compileWat } from './compile-wat.js';
import { walkWat } from './walk-wat.js';

/** The compiled walk kernels (plain and shared-memory), or null where WebAssembly cannot be built here. */
export interface WalkModules {
  plain: WebAssembly.Module;
  shared: WebAssembly.Module;
}

async function compile(): Promise<WalkModules | null> {
  const [plain, shared] = await Promise.all([compileWat('walk.wat', walkWat(false)), compileWat('walk.wat', walkWat(true), { threads: true })]);
  return plain && shared ? { plain, shared } : null;
}

/** Compiled once when this module loads, so scoring stays synchronous afterwards. */
export const walkModules: WalkModules | null = await compile();
