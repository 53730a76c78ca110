// Shared test helpers: backends, tensors on a heap, seeded data, closeness checks.
import { expect } from 'vitest';
import { JsKernels } from '../src/kernels/js.js';
import type { Kernels } from '../src/kernels/kernels.js';
import { createKernels } from '../src/kernels/node.js';
import { normalAt, uniformAt } from '../src/kernels/random.js';

export async function wasmKernels(): Promise<Kernels> {
  return createKernels({ backend: 'wasm' });
}

export function jsKernels(dtype: 'f32' | 'f64' = 'f32'): JsKernels {
  return new JsKernels(dtype);
}

/** Seeded uniform values in [lo, hi). */
export function uniform(n: number, seed: number, lo = -1, hi = 1): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * uniformAt(seed, i);
  return out;
}

/** Seeded normal values. */
export function normal(n: number, seed: number, std = 1): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = std * normalAt(seed, i);
  return out;
}

/** Allocates and fills a tensor; returns its offset. */
export function put(k: Kernels, values: ArrayLike<number>): number {
  const off = k.heap.alloc(values.length);
  k.heap.write(off, values);
  return off;
}

/** Reads n values as float64 (exact for both heap dtypes). */
export function get(k: Kernels, off: number, n: number): Float64Array {
  return Float64Array.from(k.heap.data.subarray(off, off + n));
}

/** Asserts |a - e| <= atol + rtol |e| elementwise, naming the first failure. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol: number, label = ''): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const excess = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (!(excess <= 0) && (worst < 0 || excess > worstExcess || Number.isNaN(excess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    expect.fail(
      `${label}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} (atol ${atol}, rtol ${rtol})`,
    );
  }
}

/** Max |a - b|. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
