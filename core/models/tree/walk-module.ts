import wabtInit from 'wabt';
import { walkWat } from './walk-wat.js';

/** The compiled walk kernels (plain and shared-memory), or null where WebAssembly cannot be built here. */
export interface WalkModules {
  plain: WebAssembly.Module;
  shared: WebAssembly.Module;
}

async function compile(): Promise<WalkModules | null> {
  try {
    const wabt = await wabtInit();
    const build = (shared: boolean) => {
      const parsed = wabt.parseWat('walk.wat', walkWat(shared), { threads: shared });
      try {
        return new WebAssembly.Module(parsed.toBinary({}).buffer);
      } finally {
        parsed.destroy();
      }
    };
    return { plain: build(false), shared: build(true) };
  } catch {
    return null;
  }
}

/** Compiled once when this module loads, so scoring stays synchronous afterwards. */
export const walkModules: WalkModules | null = await compile();
