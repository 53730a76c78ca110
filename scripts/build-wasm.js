// Compiles assembly/ into every build variant under build/. Run by `npm run build:wasm`
// (and so by `npm ci` through `prepare`). The relaxed build uses relaxed-SIMD fused
// multiply-add; runtimes pick it when WebAssembly.validate accepts it.
// With --tests (`npm run build:wasm-test`, run by `npm test`) it builds instead the
// test-only variants from assembly/testing.ts: the same kernels plus wrappers that
// expose the micro-kernels to test/kernels/micro.test.ts.
import asc from 'assemblyscript/asc';

// Threads builds import one shared memory (created by JS with exactly these limits:
// src/kernels/threads/memory.ts) so that every worker's instance sees the same heap.
const THREADS = ['--enable', 'threads', '--sharedMemory', '--importMemory', '--initialMemory', '64', '--maximumMemory', '16384'];

const production = [
  { file: 'kernels.wasm', flags: [] },
  { file: 'kernels-relaxed.wasm', flags: ['--enable', 'relaxed-simd'] },
  { file: 'kernels-threads.wasm', flags: THREADS },
  { file: 'kernels-relaxed-threads.wasm', flags: ['--enable', 'relaxed-simd', ...THREADS] },
];
const tests = [
  { file: 'kernels-test.wasm', flags: [], entry: 'assembly/testing.ts' },
  { file: 'kernels-relaxed-test.wasm', flags: ['--enable', 'relaxed-simd'], entry: 'assembly/testing.ts' },
];
const variants = process.argv.includes('--tests') ? tests : production;

for (const v of variants) {
  // Only production builds write a .wat: it is what one reads to check the micro-kernels' code.
  const text = v.entry ? [] : ['--textFile', `build/${v.file.replace('.wasm', '.wat')}`];
  const { error, stderr } = await asc.main(
    [v.entry ?? 'assembly/index.ts', '--config', 'asconfig.json', '--target', 'release', '--outFile', `build/${v.file}`, ...text, ...v.flags],
    {},
  );
  if (error) {
    console.error(stderr.toString());
    console.error(`build of ${v.file} failed: ${error.message}`);
    process.exit(1);
  }
  console.log(`built build/${v.file}`);
}
