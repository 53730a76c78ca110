// sumSquares (assembly/elementwise.ts), the global gradient norm's reduction: WASM vs the
// JS spec bit for bit (the order of additions is part of the spec) over sizes around the
// SIMD width, misaligned starts and values of mixed magnitude; the spec against the
// plain left-to-right sum's value; non-finite elements give a non-finite sum and float32
// extremes do not overflow.
import { describe, expect, it } from 'vitest';
import type { Kernels } from '../../src/kernels/kernels.js';
import { f32, kernelBackends, runGuarded, uniform } from '../helpers.js';

const { wasm, js, js64 } = await kernelBackends();

const SIZES = [0, 1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 17, 31, 64, 97, 1031, 100_003];

/** Values spanning eight decades, so any change in the order of additions shows in the bits. */
function mixed(n: number, seed: number): Float64Array {
  return uniform(n, seed, -2, 2).map((v, i) => v * 10 ** ((i % 8) - 4));
}

/** The spec's order written out: lane i mod 4 over the body, lanes in order, then the tail. */
function laneOrder(x: ArrayLike<number>): number {
  const lanes = [0, 0, 0, 0];
  const body = x.length - (x.length % 4);
  for (let i = 0; i < body; i++) lanes[i % 4]! += x[i]! * x[i]!;
  let s = lanes[0]! + lanes[1]! + lanes[2]! + lanes[3]!;
  for (let i = body; i < x.length; i++) s += x[i]! * x[i]!;
  return s;
}

const call = (kernels: Kernels, n: number) => (o: number[]) => kernels.sumSquares(o[0]!, n);

describe('sumSquares', () => {
  it.each(SIZES)('n=%i: WASM and the float32 spec return the same bits, at every alignment', (n) => {
    const x = mixed(n, 900 + n);
    const want = laneOrder(f32(x));
    for (const shift of [0, 1, 2, 3]) {
      expect(runGuarded(js, [x], [], call(js, n), { shift }).ret, `js shift ${shift}`).toBe(want);
      expect(runGuarded(wasm, [x], [], call(wasm, n), { shift }).ret, `wasm shift ${shift}`).toBe(want);
    }
  });

  it('the float64 spec sums float64 values in the same order', () => {
    const x = mixed(1031, 5);
    expect(runGuarded(js64, [x], [], call(js64, x.length)).ret).toBe(laneOrder(x));
  });

  it('is the sum of squares: within float64 rounding of a left-to-right sum', () => {
    const x = f32(mixed(4099, 6));
    let plain = 0;
    for (const v of x) plain += v * v;
    const got = runGuarded(wasm, [x], [], call(wasm, x.length)).ret as number;
    expect(Math.abs(got - plain)).toBeLessThanOrEqual(4099 * 2 ** -52 * plain);
  });

  it.each([NaN, Infinity, -Infinity])('one %s element (in a lane or in the tail) makes the sum non-finite', (bad) => {
    for (const at of [0, 5, 10]) {
      const x = mixed(11, 7);
      x[at] = bad;
      for (const kernels of [wasm, js]) {
        const s = runGuarded(kernels, [x], [], call(kernels, 11)).ret as number;
        expect(Number.isFinite(s), `${kernels.backend} element ${at}`).toBe(false);
        if (Number.isNaN(bad)) expect(s, `${kernels.backend} element ${at}`).toBeNaN();
      }
    }
  });

  it('float32 extremes do not overflow: finite elements give a finite sum', () => {
    const big = Math.fround(3.4e38);
    const x = new Float64Array(1027).fill(big);
    for (const kernels of [wasm, js]) {
      const s = runGuarded(kernels, [x], [], call(kernels, x.length)).ret as number;
      expect(s).toBe(laneOrder(x));
      expect(Number.isFinite(s)).toBe(true);
    }
  });
});
