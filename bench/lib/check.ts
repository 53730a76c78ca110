// Correctness guard for benchmarks: a kernel is timed only after its output has been
// compared once with the reference backend's on the same inputs, so a broken or
// half-written kernel can never produce a number silently.

export interface Agreement {
  ok: boolean;
  /** max |got - ref| */
  maxAbsDiff: number;
  /** max |ref|: the scale the difference is judged against. */
  scale: number;
  /** maxAbsDiff / scale (Infinity when any value is NaN or infinite). */
  relative: number;
}

/**
 * Compares got with ref (same length) relative to the largest reference magnitude:
 * summation order differs between backends, so the error of a correct float32 kernel
 * grows with the magnitude of its sums, not with each element's own size.
 */
export function agreement(ref: ArrayLike<number>, got: ArrayLike<number>, rtol: number): Agreement {
  if (ref.length !== got.length) throw new RangeError(`agreement: lengths differ (${ref.length} vs ${got.length})`);
  let maxAbsDiff = 0;
  let scale = 0;
  let finite = true;
  for (let i = 0; i < ref.length; i++) {
    const r = ref[i]!;
    const g = got[i]!;
    if (!Number.isFinite(r) || !Number.isFinite(g)) finite = false;
    scale = Math.max(scale, Math.abs(r));
    maxAbsDiff = Math.max(maxAbsDiff, Math.abs(g - r));
  }
  const relative = finite ? maxAbsDiff / Math.max(scale, Number.MIN_VALUE) : Infinity;
  return { ok: finite && scale > 0 && relative <= rtol, maxAbsDiff, scale, relative };
}

/** Seeded uniform floats in [-1, 1) (mulberry32): the same inputs on every backend and run. */
export function randomFloats(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1;
  }
  return out;
}
