// sgemm: WASM vs the JS spec over sizes below, at and above the SIMD width, the 6x8
// micro-kernel tile and the KC / MC / NC blocks; every transpose case; strided leading
// dimensions; alpha and beta including beta = 0 over garbage (NaN) C.
import { beforeAll, describe, it } from 'vitest';
import type { Kernels } from '../../src/kernels/kernels.js';
import { centralDiff, dot, expectClose, get, jsKernels, put, runGuarded, uniform, wasmKernels } from '../helpers.js';

let wasm: Kernels;
let js: Kernels;
beforeAll(async () => {
  wasm = await wasmKernels();
  js = jsKernels();
});

const sizes: [number, number, number][] = [
  [1, 1, 1], [1, 7, 5], [3, 4, 4], [4, 3, 2], [5, 8, 3], [6, 8, 1], [6, 8, 8], [7, 9, 13],
  [12, 16, 7], [13, 17, 300], [97, 16, 33], [101, 11, 257], [7, 1030, 5], [2, 3, 520],
  // Few rows (<= 4, no transposes) take the unpacked path: 16-column blocks plus tails.
  [1, 64, 784], [2, 37, 19], [4, 16, 3], [3, 33, 1],
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

function run(kernels: Kernels, c: Case, seed: number): Float64Array {
  const { m, n, k: kk, ta, tb, alpha, beta, pad } = c;
  const [ar, ac] = ta ? [kk, m] : [m, kk];
  const [br, bc] = tb ? [n, kk] : [kk, n];
  const lda = ac + pad, ldb = bc + pad, ldc = n + pad;
  const a = put(kernels, uniform(ar * lda, seed));
  const b = put(kernels, uniform(br * ldb, seed + 1));
  const cInit = beta === 0 ? new Float64Array(m * ldc).fill(NaN) : uniform(m * ldc, seed + 2);
  // Padding columns of C must survive untouched: mark them.
  for (let i = 0; i < m; i++) for (let j = n; j < ldc; j++) cInit[i * ldc + j] = 1234.5;
  const cOff = put(kernels, cInit);
  kernels.sgemm(ta, tb, m, n, kk, alpha, a, lda, b, ldb, beta, cOff, ldc);
  return get(kernels, cOff, m * ldc);
}

describe('sgemm', () => {
  it.each(cases)('m=$m n=$n k=$k transA=$ta transB=$tb alpha=$alpha beta=$beta pad=$pad', (c) => {
    const got = run(wasm, c, 11);
    const want = run(js, c, 11);
    // f32 sums of k products of values in [-1, 1]: error grows like sqrt(k) ulps.
    expectClose(got, want, 2e-6 * Math.sqrt(c.k + 1) * 4, 1e-5, 'C');
  });
});

// sgemmBiasAct = act(op(A) op(B) + bias): the epilogue runs per row block, on the packed
// path and on the few-rows path, with and without bias.
describe('sgemmBiasAct', () => {
  const acts = [
    { act: 0, name: 'linear' }, { act: 1, name: 'relu' }, { act: 2, name: 'leaky' },
    { act: 3, name: 'sigmoid' }, { act: 4, name: 'tanh' }, { act: 5, name: 'exp' },
  ];
  const shapes: [number, number, number][] = [[1, 64, 784], [3, 20, 7], [37, 45, 29], [256, 784, 64], [130, 13, 300], [7, 1030, 3]];
  const cases = shapes.flatMap(([m, n, k], i) => acts.map((a) => ({ m, n, k, ...a, ta: i % 2, tb: (i >> 1) % 2, bias: i !== 2, pad: i % 3 })));
  function runFused(kernels: Kernels, c: (typeof cases)[number]): Float64Array {
    const [ar, ac] = c.ta ? [c.k, c.m] : [c.m, c.k];
    const [br, bc] = c.tb ? [c.n, c.k] : [c.k, c.n];
    const lda = ac + c.pad, ldb = bc + c.pad, ldc = c.n + c.pad;
    const a = put(kernels, uniform(ar * lda, 21, -0.3, 0.3));
    const b = put(kernels, uniform(br * ldb, 22, -0.3, 0.3));
    const bias = c.bias ? put(kernels, uniform(c.n, 23)) : -1;
    const cOff = put(kernels, new Float64Array(c.m * ldc).fill(NaN));
    kernels.sgemmBiasAct(c.ta, c.tb, c.m, c.n, c.k, a, lda, b, ldb, cOff, ldc, bias, c.act, 0.3);
    const out = get(kernels, cOff, c.m * ldc);
    // Padding columns are never written.
    for (let i = 0; i < c.m; i++) for (let j = c.n; j < ldc; j++) out[i * ldc + j] = 0;
    return out;
  }
  it.each(cases)('m=$m n=$n k=$k $name transA=$ta transB=$tb bias=$bias pad=$pad', (c) => {
    // Sums of k products of values in [-0.3, 0.3] in float32, then a smooth activation.
    expectClose(runFused(wasm, c), runFused(js, c), 1e-5 * Math.sqrt(c.k), 1e-5, 'C');
  });
});

// The gradient identities a Dense layer relies on, checked on the JS spec in float64 with
// central differences: for C = alpha A B and L = Σ R ∘ C, dL/dA = alpha R Bᵀ (sgemm with
// transB) and dL/dB = alpha Aᵀ R (sgemm with transA). L is bilinear, so the differences are
// exact up to float64 cancellation (~1e-9): atol 1e-7, rtol 1e-6.
describe('sgemm gradient identities vs central differences (JS spec, float64)', () => {
  const js64 = jsKernels('f64');
  const gemm = (ta: number, tb: number, m: number, n: number, k: number, alpha: number, a: Float64Array, lda: number, b: Float64Array, ldb: number) =>
    runGuarded(js64, [a, b, new Float64Array(m * n)], [2], (o) => js64.sgemm(ta, tb, m, n, k, alpha, o[0]!, lda, o[1]!, ldb, 0, o[2]!, n)).outs[0]!;

  it.each([
    { m: 3, n: 4, k: 5, alpha: 1 },
    { m: 1, n: 3, k: 2, alpha: -0.5 },
    { m: 4, n: 1, k: 3, alpha: 2 },
    { m: 5, n: 7, k: 1, alpha: 0.75 },
  ])('m=$m n=$n k=$k alpha=$alpha', ({ m, n, k, alpha }) => {
    const a = uniform(m * k, 1);
    const b = uniform(k * n, 2);
    const r = uniform(m * n, 3);
    const loss = (ins: Float64Array[]) => dot(r, gemm(0, 0, m, n, k, alpha, ins[0]!, k, ins[1]!, n));
    // dA [m, k] = alpha R[m, n] · (B[k, n])ᵀ
    const dA = gemm(0, 1, m, k, n, alpha, r, n, b, n);
    // dB [k, n] = alpha (A[m, k])ᵀ · R[m, n]
    const dB = gemm(1, 0, k, n, m, alpha, a, k, r, n);
    expectClose(dA, centralDiff([a, b], 0, loss), 1e-7, 1e-6, 'dA');
    expectClose(dB, centralDiff([a, b], 1, loss), 1e-7, 1e-6, 'dB');
  });
});
