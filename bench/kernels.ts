// Kernel benchmark: GFLOP/s of sgemm and conv2d on the WASM build and the JS baseline.
// (`npm run bench` runs this suite too, before the model suites; see bench/index.ts.)
//
//   npm run bench:kernels             full run (2-3 min, 1 more for threads): kernels.json and
//                                     the kernels section of bench/README.md
//   npm run bench:kernels -- --quick  shorter budgets (< 1 min), JS skipped on cases over
//                                     1 GFLOP; writes bench/results/kernels-quick.json only
//   ... -- --only conv3               just the cases whose name contains the text; writes nothing
//   ... -- --threads-only             just the threads comparison (sgemm and the denoiser step
//                                     at 1, 2, ... threads); writes nothing

import { parseArgs } from 'node:util';
import { runKernelSuite } from './kernel-suite.js';

const { values } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, only: { type: 'string' }, 'threads-only': { type: 'boolean', default: false } },
});
const r = await runKernelSuite({
  quick: values.quick,
  ...(values.only !== undefined ? { only: values.only } : {}),
  threadsOnly: values['threads-only'],
  command: values.quick ? 'npm run bench:kernels -- --quick' : 'npm run bench:kernels',
});
console.log(`total ${r.totalSeconds.toFixed(1)} s`);
if (r.failed.length > 0) process.exitCode = 1;
