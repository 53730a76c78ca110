// Issue 17, item 4: is a small thread speed-up the code's or the host's? In rounds, side by
// side: the host's SIMD two-core factor (two workers running sgemm 256x64x784 on private,
// unshared instances, against one), the kernel pool's speed-up on the same sgemm (2
// threads on one shared memory against 1; row shares, no data moving between the cores
// from call to call), and a cache line's round trip between the cores.
//   node --experimental-wasm-relaxed-simd --import tsx scripts/thread-scaling-probe.mts [rounds]
// When the pool's figure falls while the SIMD factor stays near 2.00, the cost is in the
// pool or in shared memory; when both fall together, the host is giving the second thread
// less than a core.
import { RELAXED_THREADS_BUILD } from '../src/kernels/builds.js';
import { createKernels } from '../src/kernels/node.js';
import type { WasmKernels } from '../src/kernels/wasm.js';
import { pingPongNs, simdFactor } from '../bench/lib/host-probes.js';

const rounds = Number(process.argv[2] ?? 8);
const [M, N, K] = [256, 64, 784];
const kernels = [await createKernels({ threads: 1, build: RELAXED_THREADS_BUILD }), await createKernels({ threads: 2, build: RELAXED_THREADS_BUILD })] as WasmKernels[];
const operands = kernels.map((k) => {
  const a = k.heap.alloc(M * K), b = k.heap.alloc(K * N), c = k.heap.alloc(M * N);
  const f = k.heap.data as Float32Array;
  for (let i = 0; i < M * K; i++) f[a + i] = Math.sin(i);
  for (let i = 0; i < K * N; i++) f[b + i] = Math.cos(i);
  return { a, b, c };
});
/** Median ms of the sgemm on kernels[i] over calls for `ms` milliseconds. */
function gemm(i: number, ms: number): number {
  const k = kernels[i]!, { a, b, c } = operands[i]!;
  const t: number[] = [];
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const t0 = performance.now();
    k.sgemm(0, 0, M, N, K, 1, a, K, b, N, 0, c, N);
    t.push(performance.now() - t0);
  }
  return t.sort((x, y) => x - y)[t.length >> 1]!;
}
gemm(0, 300);
gemm(1, 300);
console.log(`sgemm ${M}x${N}x${K}, ${RELAXED_THREADS_BUILD}; ${rounds} rounds`);
console.log('round  SIMD factor (2 workers vs 1)  pool 2 threads vs 1  line round trip ns');
for (let r = 0; r < rounds; r++) {
  const simd = await simdFactor();
  const [t1, t2] = r % 2 === 0 ? [gemm(0, 400), gemm(1, 400)] : [gemm(1, 400), gemm(0, 400)].reverse();
  const ns = await pingPongNs();
  console.log(`${String(r).padStart(5)}  ${simd.toFixed(2).padStart(27)}  ${(t1! / t2!).toFixed(2).padStart(19)}  ${ns.toFixed(0).padStart(18)}`);
}
(kernels[1] as unknown as { dispose(): void }).dispose();
