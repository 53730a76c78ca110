import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Everything runs once on the default WASM build (relaxed SIMD where the engine accepts
// it); the kernel tests run again on the baseline SIMD build, whose micro-kernels differ.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Vitest's default (cores - 1) runs one file at a time on two cores; most files wait on
    // child processes, Chromium or the disk, so two at once took the suite from 536 s to 430 s here.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    globalSetup: ['test/setup/cli-build.ts'],
    projects: [
      { extends: true, test: { name: 'all', include: ['test/**/*.test.ts'] } },
      {
        extends: true,
        test: { name: 'kernels-baseline-simd', include: ['test/kernels/**/*.test.ts'], env: { AE_WASM_BUILD: 'kernels.wasm' } },
      },
    ],
  },
});
