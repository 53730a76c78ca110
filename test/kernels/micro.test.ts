// The micro-kernels as units, on the test builds (build/kernels-test.wasm and
// build/kernels-relaxed-test.wasm, from assembly/testing.ts): each family's wrapper runs
// one tile the test lays out, swept over rows 1..MR, columns 1..8 and depths across small
// primes, on both the mul + add (MR = 5) and the fused relaxed (MR = 6) build, against a
// float64 reference written here. Every tensor is guarded (runGuarded): rows past mr and
// columns past nr are read but must never reach the output, and the output's padding
// columns must keep their values.
import { describe, expect, it } from 'vitest';
import type { Kernels } from '../../src/kernels/kernels.js';
import { createKernels } from '../../src/kernels/node.js';
import type { WasmKernels } from '../../src/kernels/wasm.js';
import { expectClose, runGuarded, uniform } from '../helpers.js';

/** The wrappers of assembly/testing.ts (offsets in floats). */
interface MicroExports {
  MR: WebAssembly.Global;
  NR: WebAssembly.Global;
  testSgemmMicro(kc: number, a: number, b: number, c: number, ldc: number, alpha: number, beta: number, mr: number, nr: number): void;
  testImplicitMicro(kc: number, segs: number, a: number, lda: number, segOff: number, b: number, c: number, ldc: number, mr: number, nr: number): void;
  testFilterMicro(np: number, first: number, a: number, lda: number, b: number, ldb: number, c: number, ldc: number, mr: number, nr: number): void;
}

async function load(build: string): Promise<{ kernels: Kernels; ex: MicroExports } | null> {
  try {
    const kernels = await createKernels({ backend: 'wasm', build });
    return { kernels, ex: (kernels as WasmKernels).exports as unknown as MicroExports };
  } catch (e) {
    // Only an engine without relaxed SIMD may refuse a build; anything else is a failure.
    if (build.includes('relaxed') && e instanceof WebAssembly.CompileError) return null;
    throw e;
  }
}

const BUILDS = [
  { build: 'kernels-test.wasm', mr: 5 },
  { build: 'kernels-relaxed-test.wasm', mr: 6 },
];

/** Depths (k, segment length or pixels): 1, tiny primes, one past a vector, and long. */
const DEPTHS = [1, 2, 3, 5, 7, 11, 13, 31, 257];

/**
 * float32 sums of `depth` products of values in [-1, 1] (times |alpha| <= 1, plus beta C):
 * the rounding error of a sum of d terms is below d u Σ|terms|, about 6e-8 d² in the worst
 * case, and near 6e-8 sqrt(d) Σ|terms| for random signs; 2e-7 d (+ rtol 1e-6) sits
 * between the two with room for both builds' rounding (fused or not).
 */
function tolerance(depth: number): { atol: number; rtol: number } {
  return { atol: 2e-7 * depth, rtol: 1e-6 };
}

const loaded = await Promise.all(BUILDS.map(async (b) => ({ ...b, instance: await load(b.build) })));

for (const { build, mr: MR, instance } of loaded) {
  if (instance === null) {
    it.skip(`micro-kernels on ${build}: this engine refuses relaxed SIMD`, () => {});
    continue;
  }
  describe(`micro-kernels on ${build}`, () => {
    const { kernels, ex } = instance;

    it('exports MR and NR as the build defines them', () => {
      expect(ex.MR.value).toBe(MR);
      expect(ex.NR.value).toBe(8);
    });

    // sgemm: A a packed [kc][MR] panel, B a packed [kc][8] panel, C[mr, nr] with ldc = nr + 2.
    describe('sgemmMicro: C = alpha Aᵀ B + beta C', () => {
      for (const kc of DEPTHS) {
        it(`kc ${kc}: rows 1..${MR} x columns 1..8, beta 0 / 1 / 0.5`, () => {
          const { atol, rtol } = tolerance(kc);
          const a = uniform(kc * MR, 100 + kc);
          const b = uniform(kc * 8, 200 + kc);
          for (let mr = 1; mr <= MR; mr++) {
            for (let nr = 1; nr <= 8; nr++) {
              for (const [alpha, beta] of [[1, 0], [-0.75, 1], [0.5, 0.5]] as const) {
                const ldc = nr + 2;
                const c0 = uniform(mr * ldc, 300 + mr * 8 + nr);
                const expected = Float64Array.from(c0);
                for (let r = 0; r < mr; r++) {
                  for (let j = 0; j < nr; j++) {
                    let s = 0;
                    for (let p = 0; p < kc; p++) s += a[p * MR + r]! * b[p * 8 + j]!;
                    expected[r * ldc + j] = alpha * s + beta * c0[r * ldc + j]!;
                  }
                }
                const label = `${build} sgemmMicro kc ${kc} ${mr}x${nr} alpha ${alpha} beta ${beta}`;
                const { outs } = runGuarded(kernels, [a, b, c0], [2], ([pa, pb, pc]) => {
                  ex.testSgemmMicro(kc, pa!, pb!, pc!, ldc, alpha, beta, mr, nr);
                }, { label });
                expectClose(outs[0]!, expected, atol, rtol, label);
              }
            }
          }
        });
      }
    });

    // Implicit GEMM: segs kernel rows; row r of segment s is kc floats at A + r lda + s segOff
    // (segOff = kc + 1, lda = segs segOff + 2); B packed [segs][kc][8]; C[mr, nr], ldc = nr + 3.
    describe('implicitMicro (conv-tile.ts): C = Σ_s A_s B_s through the tile tables', () => {
      for (const kc of DEPTHS) {
        for (const segs of [1, 3]) {
          it(`kc ${kc} x ${segs} kernel rows: rows 1..${MR} x columns 1..8`, () => {
            const { atol, rtol } = tolerance(kc * segs);
            const segOff = kc + 1;
            const lda = segs * segOff + 2;
            const b = uniform(segs * kc * 8, 400 + kc * 4 + segs);
            for (let mr = 1; mr <= MR; mr++) {
              const a = uniform(mr * lda, 500 + kc * 8 + mr);
              for (let nr = 1; nr <= 8; nr++) {
                const ldc = nr + 3;
                const c0 = uniform(mr * ldc, 600 + nr);
                const expected = Float64Array.from(c0);
                for (let r = 0; r < mr; r++) {
                  for (let j = 0; j < nr; j++) {
                    let s = 0;
                    for (let g = 0; g < segs; g++) {
                      for (let p = 0; p < kc; p++) s += a[r * lda + g * segOff + p]! * b[(g * kc + p) * 8 + j]!;
                    }
                    expected[r * ldc + j] = s;
                  }
                }
                const label = `${build} implicitMicro kc ${kc} segs ${segs} ${mr}x${nr}`;
                const { outs } = runGuarded(kernels, [a, b, c0], [2], ([pa, pb, pc]) => {
                  ex.testImplicitMicro(kc, segs, pa!, lda, segOff, pb!, pc!, ldc, mr, nr);
                }, { label });
                expectClose(outs[0]!, expected, atol, rtol, label);
              }
            }
          });
        }
      }
    });

    // Filter gradient: np pixels; pixel p's A is mr floats at A + p mr (the kernel reads MR,
    // so rows past mr come from the next pixel or the guard cells, and must not reach C);
    // B[np, nr] with ldb = nr + 1; C[mr, nr] with ldc = nr + 2; the first half of the pixels
    // starts from zero, the rest accumulate.
    describe('filterMicro (conv-filter-grad-implicit.ts): C = Σ_p A_pᵀ B_p', () => {
      for (const np of DEPTHS) {
        it(`${np} pixels: rows 1..${MR} x columns 1..8`, () => {
          const { atol, rtol } = tolerance(np);
          const first = np >> 1;
          for (let mr = 1; mr <= MR; mr++) {
            const a = uniform(np * mr, 700 + np * 8 + mr);
            for (let nr = 1; nr <= 8; nr++) {
              const ldb = nr + 1;
              const ldc = nr + 2;
              const b = uniform(np * ldb, 800 + np * 8 + nr);
              const c0 = uniform(mr * ldc, 900 + nr);
              const expected = Float64Array.from(c0);
              for (let r = 0; r < mr; r++) {
                for (let j = 0; j < nr; j++) {
                  let s = 0;
                  for (let p = 0; p < np; p++) s += a[p * mr + r]! * b[p * ldb + j]!;
                  expected[r * ldc + j] = s;
                }
              }
              const label = `${build} filterMicro np ${np} ${mr}x${nr}`;
              const { outs } = runGuarded(kernels, [a, b, c0], [2], ([pa, pb, pc]) => {
                ex.testFilterMicro(np, first, pa!, mr, pb!, ldb, pc!, ldc, mr, nr);
              }, { label });
              expectClose(outs[0]!, expected, atol, rtol, label);
            }
          }
        });
      }
    });
  });
}
