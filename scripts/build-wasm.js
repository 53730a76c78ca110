// Compiles assembly/ into every build variant under build/. Run by `npm run build:wasm`
// (and so by `npm ci` through `prepare`).
import asc from 'assemblyscript/asc';

const variants = [{ target: 'release', file: 'kernels.wasm' }];

for (const v of variants) {
  const { error, stderr } = await asc.main(['assembly/index.ts', '--config', 'asconfig.json', '--target', v.target], {});
  if (error) {
    console.error(stderr.toString());
    console.error(`build of ${v.file} failed: ${error.message}`);
    process.exit(1);
  }
  console.log(`built build/${v.file}`);
}
