// The two backends every 1-vs-2-thread kernel test compares: the single-threaded build and
// its threads twin, relaxed or not as AE_WASM_BUILD selects.
import type { Kernels } from '../../src/kernels/kernels.js';
import { createKernels } from '../../src/kernels/node.js';
import type { ThreadedKernels } from '../../src/kernels/threads/pool.js';

export async function threadPair(): Promise<{ one: Kernels; two: ThreadedKernels & Kernels }> {
  const relaxed = !process.env['AE_WASM_BUILD']?.startsWith('kernels.wasm');
  const one = await createKernels({ build: relaxed ? 'kernels-relaxed.wasm' : 'kernels.wasm' });
  const two = (await createKernels({ threads: 2, build: relaxed ? 'kernels-relaxed-threads.wasm' : 'kernels-threads.wasm' })) as ThreadedKernels & Kernels;
  return { one, two };
}
