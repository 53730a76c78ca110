// The constants every production build exports for the TypeScript side (assembly/index.ts):
// present, immutable i32 globals, with the values of assembly/scratch.ts, gemm.ts and
// conv.ts; and no test-only export (assembly/testing.ts) in a production build.
import { readFile } from 'node:fs/promises';
import v8 from 'node:v8';
import { describe, expect, it } from 'vitest';
import { BUILD_DIR } from '../../src/kernels/node.js';
import { createSharedMemory } from '../../src/kernels/threads/memory.js';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

/** Expected values; MR depends on the build (6 with relaxed-SIMD FMA, 5 with mul + add). */
const COMMON: Record<string, number> = {
  NR: 8,
  KC: 256,
  FILTER_CHUNK: 16,
  PARTIAL_FLOATS: 65536,
  FEW_ROWS: 4,
  COL_FLOATS: 262144,
  DUMP_FLOATS: 6 * 8 * 128,
  TAB_ENTRIES: 2048,
  WORK_FLOATS: 262144 - 6 * 8 * 128 - 2048,
};

const BUILDS = ['kernels.wasm', 'kernels-relaxed.wasm', 'kernels-threads.wasm', 'kernels-relaxed-threads.wasm'];

describe('exported constants', () => {
  for (const build of BUILDS) {
    it(build, async () => {
      const bytes = await readFile(BUILD_DIR + build);
      if (!WebAssembly.validate(bytes)) return; // an engine without relaxed SIMD
      const module = new WebAssembly.Module(bytes);
      const imports: WebAssembly.Imports = build.includes('threads') ? { env: { memory: createSharedMemory() } } : {};
      const ex = new WebAssembly.Instance(module, imports).exports as Record<string, unknown>;
      const expected = { ...COMMON, MR: build.includes('relaxed') ? 6 : 5 };
      for (const [name, value] of Object.entries(expected)) {
        const g = ex[name];
        expect(g, `${build} ${name}`).toBeInstanceOf(WebAssembly.Global);
        expect((g as WebAssembly.Global).value, `${build} ${name}`).toBe(value);
        expect(() => {
          (g as WebAssembly.Global).value = value + 1;
        }, `${build} ${name} is immutable`).toThrow();
      }
      const scratchFloats = (ex['scratchFloats'] as () => number)();
      expect((ex['SCRATCH_FLOATS'] as WebAssembly.Global).value).toBe(scratchFloats);
      const names = WebAssembly.Module.exports(module).map((e) => e.name);
      expect(names.filter((n) => n.startsWith('test')), `${build} has no test-only exports`).toEqual([]);
    });
  }
});
