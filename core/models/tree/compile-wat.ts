import wabtInit from 'wabt';

// One wabt runtime for every kernel this process compiles.
let wabt: ReturnType<typeof wabtInit> | undefined;

/** WebAssembly text compiled to a module, or null where WebAssembly cannot be built here (callers fall back to JavaScript). */
export async function compileWat(name: string, text: string, features: { threads?: boolean; simd?: boolean } = {}): Promise<WebAssembly.Module | null> {
  try {
    wabt ??= wabtInit();
    const parsed = (await wabt).parseWat(name, text, features);
    try {
      return new WebAssembly.Module(parsed.toBinary({}).buffer);
    } finally {
      parsed.destroy();
    }
  } catch {
    return null;
  }
}
