// sgemm: WASM vs the JS spec over sizes below, at and above the SIMD width, the 6x8
// micro-kernel tile and the KC / MC / NC blocks; every transpose case; strided leading
// dimensions; alpha and beta including beta = 0 over garbage (NaN) C.
import { beforeAll, describe, it } from 'vitest';
import type { Kernels } from '../../src/kernels/kernels.js';
import { expectClose, get, jsKernels, put, uniform, wasmKernels } from '../helpers.js';

let wasm: Kernels;
let js: Kernels;
beforeAll(async () => {
  wasm = await wasmKernels();
  js = jsKernels();
});

const sizes: [number, number, number][] = [
  [1, 1, 1], [1, 7, 5], [3, 4, 4], [4, 3, 2], [5, 8, 3], [6, 8, 1], [6, 8, 8], [7, 9, 13],
  [12, 16, 7], [13, 17, 300], [97, 16, 33], [101, 11, 257], [7, 1030, 5], [2, 3, 520],
];

interface Case {
  m: number; n: number; k: number; ta: number; tb: number; alpha: number; beta: number; pad: number;
}

const cases: Case[] = [];
for (const [m, n, k] of sizes) {
  for (const ta of [0, 1]) for (const tb of [0, 1]) cases.push({ m, n, k, ta, tb, alpha: 1, beta: 0, pad: 0 });
}
for (const [m, n, k] of [[7, 9, 13], [13, 17, 300]] as const) {
  for (const ta of [0, 1]) {
    for (const tb of [0, 1]) {
      cases.push({ m, n, k, ta, tb, alpha: 0.5, beta: 1, pad: 3 });
      cases.push({ m, n, k, ta, tb, alpha: -2, beta: 0.25, pad: 1 });
    }
  }
}
cases.push({ m: 5, n: 6, k: 7, ta: 0, tb: 0, alpha: 0, beta: 0.5, pad: 0 });
cases.push({ m: 5, n: 6, k: 0, ta: 0, tb: 0, alpha: 1, beta: 0, pad: 2 });

function run(k: Kernels, c: Case, seed: number): Float64Array {
  const { m, n, k: kk, ta, tb, alpha, beta, pad } = c;
  const [ar, ac] = ta ? [kk, m] : [m, kk];
  const [br, bc] = tb ? [n, kk] : [kk, n];
  const lda = ac + pad, ldb = bc + pad, ldc = n + pad;
  const a = put(k, uniform(ar * lda, seed));
  const b = put(k, uniform(br * ldb, seed + 1));
  const cInit = beta === 0 ? new Float64Array(m * ldc).fill(NaN) : uniform(m * ldc, seed + 2);
  // Padding columns of C must survive untouched: mark them.
  for (let i = 0; i < m; i++) for (let j = n; j < ldc; j++) cInit[i * ldc + j] = 1234.5;
  const cOff = put(k, cInit);
  k.sgemm(ta, tb, m, n, kk, alpha, a, lda, b, ldb, beta, cOff, ldc);
  return get(k, cOff, m * ldc);
}

describe('sgemm', () => {
  it.each(cases)('m=$m n=$n k=$k transA=$ta transB=$tb alpha=$alpha beta=$beta pad=$pad', (c) => {
    const got = run(wasm, c, 11);
    const want = run(js, c, 11);
    // f32 sums of k products of values in [-1, 1]: error grows like sqrt(k) ulps.
    expectClose(got, want, 2e-6 * Math.sqrt(c.k + 1) * 4, 1e-5, 'C');
  });
});
