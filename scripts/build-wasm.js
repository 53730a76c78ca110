// Compiles assembly/ into every build variant under build/. Run by `npm run build:wasm`
// (and so by `npm ci` through `prepare`). The relaxed build uses relaxed-SIMD fused
// multiply-add; runtimes pick it when WebAssembly.validate accepts it.
import asc from 'assemblyscript/asc';

// Threads builds import one shared memory (created by JS with exactly these limits:
// src/kernels/threads/memory.ts) so that every worker's instance sees the same heap.
const THREADS = ['--enable', 'threads', '--sharedMemory', '--importMemory', '--initialMemory', '64', '--maximumMemory', '16384'];

const variants = [
  { file: 'kernels.wasm', flags: [] },
  { file: 'kernels-relaxed.wasm', flags: ['--enable', 'relaxed-simd'] },
  { file: 'kernels-threads.wasm', flags: THREADS },
  { file: 'kernels-relaxed-threads.wasm', flags: ['--enable', 'relaxed-simd', ...THREADS] },
];

for (const v of variants) {
  const { error, stderr } = await asc.main(
    ['assembly/index.ts', '--config', 'asconfig.json', '--target', 'release', '--outFile', `build/${v.file}`, '--textFile', `build/${v.file.replace('.wasm', '.wat')}`, ...v.flags],
    {},
  );
  if (error) {
    console.error(stderr.toString());
    console.error(`build of ${v.file} failed: ${error.message}`);
    process.exit(1);
  }
  console.log(`built build/${v.file}`);
}
