// Compiles assembly/ into every build variant under build/. Run by `npm run build:wasm`
// (and so by `npm ci` through `prepare`). The relaxed build uses relaxed-SIMD fused
// multiply-add; runtimes pick it when WebAssembly.validate accepts it.
import asc from 'assemblyscript/asc';

const variants = [
  { file: 'kernels.wasm', flags: [] },
  { file: 'kernels-relaxed.wasm', flags: ['--enable', 'relaxed-simd'] },
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
