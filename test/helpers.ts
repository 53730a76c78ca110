// Shared test helpers: backends, tensors on a heap, seeded data, closeness checks.
import { expect } from 'vitest';
import { JsKernels } from '../src/kernels/js.js';
import type { Kernels } from '../src/kernels/kernels.js';
import { createKernels } from '../src/kernels/node.js';
import { normalAt, uniformAt } from '../src/random/generator.js';

/** The WASM backend: the build named by AE_WASM_BUILD (set per vitest project), else the default. */
export async function wasmKernels(): Promise<Kernels> {
  return createKernels({ backend: 'wasm', build: process.env['AE_WASM_BUILD'] || undefined });
}

export function jsKernels(dtype: 'f32' | 'f64' = 'f32'): JsKernels {
  return new JsKernels(dtype);
}

/** The three backends a kernel test compares: WASM, the float32 JS spec, and the float64 spec for central differences. */
export async function kernelBackends(): Promise<{ wasm: Kernels; js: Kernels; js64: Kernels }> {
  return { wasm: await wasmKernels(), js: jsKernels('f32'), js64: jsKernels('f64') };
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
export function put(kernels: Kernels, values: ArrayLike<number>): number {
  const off = kernels.heap.alloc(values.length);
  kernels.heap.write(off, values);
  return off;
}

/** Reads n values as float64 (exact for both heap dtypes). */
export function get(kernels: Kernels, off: number, n: number): Float64Array {
  return Float64Array.from(kernels.heap.data.subarray(off, off + n));
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

// ---- guarded kernel runs (kernel tests) -----------------------------------------------

/** Sentinel cells on each side of every tensor placed by runGuarded. */
export const GUARD_CELLS = 8;
/** The sentinel: exact in float32, and a value no kernel under test produces. */
export const GUARD_VALUE = -31337.25;

/** Elements past the last tensor that runGuarded also watches for stray writes. */
const WATCH_BEYOND = 16384;

export interface GuardedOptions {
  /** Cells past a 4-aligned offset at which every tensor starts (0-3: misaligned SIMD). */
  shift?: number;
  label?: string;
}

/** Bits of the heap's bytes [byteStart, byteEnd) as 32-bit words (compares NaNs too). */
function heapWords(kernels: Kernels, byteStart: number, byteEnd: number): Uint32Array {
  const buf = kernels.heap.data.buffer;
  return new Uint32Array(buf.slice(byteStart, byteEnd));
}

/**
 * Runs one kernel call on `kernels` over fresh copies of `tensors`, each placed `shift` cells
 * past a 4-aligned offset between GUARD_CELLS sentinel cells on both sides. `call` gets
 * the tensors' offsets. Afterwards it asserts that no memory outside the tensors listed
 * in `outs` changed: the sentinels, every input, the rest of the allocated region and,
 * on WASM, the module's static data below the heap (only the kernel scratch may change).
 * Returns float64 copies of the outputs (in the order of `outs`) and the call's result.
 */
export function runGuarded(
  kernels: Kernels,
  tensors: ArrayLike<number>[],
  outs: number[],
  call: (offsets: number[]) => unknown,
  options: GuardedOptions = {},
): { outs: Float64Array[]; ret: unknown } {
  const shift = options.shift ?? 0;
  const label = options.label ?? '';
  const heap = kernels.heap;
  const blocks: number[] = [];
  try {
    return runInBlocks(kernels, tensors, outs, call, shift, label, blocks);
  } finally {
    for (let i = blocks.length - 1; i >= 0; i--) heap.free(blocks[i]!);
  }
}

function runInBlocks(
  kernels: Kernels,
  tensors: ArrayLike<number>[],
  outs: number[],
  call: (offsets: number[]) => unknown,
  shift: number,
  label: string,
  blocks: number[],
): { outs: Float64Array[]; ret: unknown } {
  const heap = kernels.heap;
  const offsets: number[] = [];
  for (const t of tensors) {
    const block = heap.alloc(t.length + 2 * GUARD_CELLS + 4);
    blocks.push(block);
    const off = block + GUARD_CELLS + shift;
    const d = heap.data;
    d.fill(GUARD_VALUE, block, block + t.length + 2 * GUARD_CELLS + 4);
    d.set(t, off);
    offsets.push(off);
  }
  const bpe = heap.bytesPerElement;
  // The region to watch: everything from the end of the WASM scratch (the first block
  // the backend allocates, at heap.base) to 16k elements past the last tensor, plus the
  // module's static data.
  const scratch = kernels.backend === 'wasm' ? (heap.sizeOf(heap.base) ?? 0) : 0;
  const lo = heap.base + scratch;
  let hi = lo;
  for (let i = 0; i < tensors.length; i++) hi = Math.max(hi, blocks[i]! + tensors[i]!.length + 2 * GUARD_CELLS + 4);
  hi = Math.min(hi + WATCH_BEYOND, heap.capacity);
  const staticBytes = kernels.backend === 'wasm' ? heap.base * bpe : 0;
  const staticBefore = heapWords(kernels, 0, staticBytes);
  const before = heapWords(kernels, lo * bpe, hi * bpe);

  const ret = call(offsets);

  const after = heapWords(kernels, lo * bpe, hi * bpe);
  const wordsPer = bpe / 4;
  const isOut = new Uint8Array(hi - lo);
  for (const i of outs) {
    const off = offsets[i]!;
    isOut.fill(1, off - lo, off - lo + tensors[i]!.length);
  }
  for (let e = 0; e < hi - lo; e++) {
    if (isOut[e]) continue;
    for (let w = 0; w < wordsPer; w++) {
      const at = e * wordsPer + w;
      if (after[at] !== before[at]) {
        const where = describeCell(lo + e, offsets, tensors);
        expect.fail(`${label}: ${kernels.backend} kernel wrote outside its outputs, at heap element ${lo + e} (${where})`);
      }
    }
  }
  const staticAfter = heapWords(kernels, 0, staticBytes);
  for (let i = 0; i < staticAfter.length; i++) {
    if (staticAfter[i] !== staticBefore[i]) expect.fail(`${label}: ${kernels.backend} kernel changed static data at byte ${i * 4}`);
  }
  return { outs: outs.map((i) => get(kernels, offsets[i]!, tensors[i]!.length)), ret };
}

function describeCell(at: number, offsets: number[], tensors: ArrayLike<number>[]): string {
  for (let i = 0; i < offsets.length; i++) {
    const off = offsets[i]!;
    const n = tensors[i]!.length;
    if (at >= off - GUARD_CELLS - 4 && at < off + n + GUARD_CELLS + 4) {
      if (at < off) return `tensor ${i}, ${off - at} cells before its start`;
      if (at >= off + n) return `tensor ${i}, ${at - off - n} cells past its end`;
      return `inside input tensor ${i} at ${at - off}`;
    }
  }
  return 'not inside any tensor of the call';
}

/** Asserts |actual_i - expected_i| <= tol_i elementwise, naming the worst failure. */
export function expectWithin(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: ArrayLike<number>, label = ''): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  let worst = -1;
  let worstRatio = 0;
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] === expected[i]) continue; // also equal infinities
    const err = Math.abs(actual[i]! - expected[i]!);
    const ratio = err / tol[i]!;
    if (!(err <= tol[i]!) && (worst < 0 || ratio > worstRatio || Number.isNaN(ratio))) {
      worst = i;
      worstRatio = ratio;
    }
  }
  if (worst >= 0) {
    expect.fail(`${label}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} (tolerance ${tol[worst]})`);
  }
}

/** Asserts two float arrays hold the same float32 bits. */
export function expectBitIdentical(actual: ArrayLike<number>, expected: ArrayLike<number>, label = ''): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  const a = new Uint32Array(Float32Array.from(actual).buffer);
  const e = new Uint32Array(Float32Array.from(expected).buffer);
  for (let i = 0; i < e.length; i++) {
    if (a[i] !== e[i]) expect.fail(`${label}: element ${i} is ${actual[i]}, expected ${expected[i]} (bits differ)`);
  }
}

/** Unit roundoff of float32 (half an ulp of 1). */
export const U32 = 2 ** -24;

/** Float64 copies of values rounded to float32 (what a Float32 heap stores). */
export function f32(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(Float32Array.from(values));
}

/** Σ a_i b_i in float64. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/**
 * Central differences (L(x + h e_j) - L(x - h e_j)) / 2h for every element j of
 * inputs[wrt]; the input is restored after each probe.
 */
export function centralDiff(inputs: Float64Array[], wrt: number, loss: (inputs: Float64Array[]) => number, h = 1e-6): Float64Array {
  const x = inputs[wrt]!;
  const g = new Float64Array(x.length);
  for (let j = 0; j < x.length; j++) {
    const saved = x[j]!;
    x[j] = saved + h;
    const lp = loss(inputs);
    x[j] = saved - h;
    const lm = loss(inputs);
    x[j] = saved;
    g[j] = (lp - lm) / (2 * h);
  }
  return g;
}

/** Asserts equal values elementwise (infinities included; -0 equals 0). */
export function expectExact(actual: ArrayLike<number>, expected: ArrayLike<number>, label = ''): void {
  expectWithin(actual, expected, new Float64Array(expected.length), label);
}
