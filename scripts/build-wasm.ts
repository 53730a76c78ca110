// Compiles assembly/ into every build variant under build/. Run by `npm run build:wasm`
// (and so by `npm ci` through `prepare`). The relaxed build uses relaxed-SIMD fused
// multiply-add; runtimes pick it when WebAssembly.validate accepts it.
// With --tests (`npm run build:wasm-test`, run by `npm test`) it builds instead the
// test-only variants from assembly/testing.ts: the same kernels plus wrappers that
// expose the micro-kernels to test/kernels/micro.test.ts.
// The build list and the shared memory's limits come from the runtime's own modules, so
// what is built is exactly what the loaders look for.
import asc from 'assemblyscript/asc';
import { BUILDS } from '../src/kernels/builds.js';
import { THREADS_INITIAL_PAGES, THREADS_MAXIMUM_PAGES } from '../src/kernels/threads/memory.js';

// Threads builds import one shared memory (created by JS with exactly these limits) so
// that every worker's instance sees the same heap.
const THREADS = ['--enable', 'threads', '--sharedMemory', '--importMemory', '--initialMemory', String(THREADS_INITIAL_PAGES), '--maximumMemory', String(THREADS_MAXIMUM_PAGES)];
const RELAXED = ['--enable', 'relaxed-simd'];

interface Variant {
  file: string;
  flags: string[];
  entry?: string;
}
const production: Variant[] = BUILDS.map((b) => ({ file: b.name, flags: [...(b.relaxed ? RELAXED : []), ...(b.threads ? THREADS : [])] }));
const tests: Variant[] = [
  { file: 'kernels-test.wasm', flags: [], entry: 'assembly/testing.ts' },
  { file: 'kernels-relaxed-test.wasm', flags: RELAXED, entry: 'assembly/testing.ts' },
];
const variants = process.argv.includes('--tests') ? tests : production;

for (const v of variants) {
  // Every build writes its own .wat (asconfig's default would overwrite kernels.wat):
  // the text is what one reads to check the micro-kernels' code, and what the abi test reads.
  const text = ['--textFile', `build/${v.file.replace('.wasm', '.wat')}`];
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
