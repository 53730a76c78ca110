// The int8 kernels against their JS spec (src/kernels/js.ts) on both production builds:
// the quantizer's codes, scales and sign flag, and both gemms' outputs, bit for bit (the
// sums are exact int32 and the epilogue is fixed float32). The relaxed gemm must equal
// the dot16 gemm whenever the codes are in [0, 127], on the relaxed build where it uses
// relaxed_dot_i8x16_i7x16_add_s. A reference in float64 over the same integers checks
// the spec itself.
import { describe, expect, it } from 'vitest';
import type { Kernels } from '../../src/kernels/kernels.js';
import { relaxedSimdValidates } from '../../src/kernels/builds.js';
import { createKernels } from '../../src/kernels/node.js';
import { expectBitIdentical, jsKernels, normal, uniform } from '../helpers.js';

async function build(name: string): Promise<Kernels | null> {
  try {
    return await createKernels({ backend: 'wasm', build: name });
  } catch (e) {
    if (name.includes('relaxed') && e instanceof WebAssembly.CompileError) return null;
    throw e;
  }
}

/** Element count holding `bytes` bytes on this heap. */
function elems(k: Kernels, bytes: number): number {
  return Math.ceil(bytes / k.heap.bytesPerElement);
}

function bytesAt(k: Kernels, offset: number, n: number): Int8Array {
  const d = k.heap.data;
  return Int8Array.from(new Int8Array(d.buffer, d.byteOffset + offset * d.BYTES_PER_ELEMENT, n));
}

function writeBytes(k: Kernels, offset: number, values: Int8Array): void {
  const d = k.heap.data;
  new Int8Array(d.buffer, d.byteOffset + offset * d.BYTES_PER_ELEMENT, values.length).set(values);
}

const roundUp = (v: number, to: number): number => Math.ceil(v / to) * to;

interface Quantized { codes: Int8Array; scales: Float32Array; nonNegative: number }

function quantize(k: Kernels, x: ArrayLike<number>, rows: number, cols: number): Quantized {
  const kp = roundUp(cols, 16);
  const xo = k.heap.alloc(x.length);
  k.heap.write(xo, x);
  const q = k.heap.alloc(elems(k, rows * kp));
  // Garbage where the kernel must write zeros (padding) proves it writes them.
  writeBytes(k, q, new Int8Array(rows * kp).fill(-99));
  const s = k.heap.alloc(rows);
  const nonNegative = k.int8QuantizeRows(xo, rows, cols, q, kp, s);
  const out = { codes: bytesAt(k, q, rows * kp), scales: Float32Array.from(k.heap.read(s, rows)), nonNegative };
  for (const o of [xo, q, s]) k.heap.free(o);
  return out;
}

type GemmName = 'int8GemmDot16' | 'int8GemmRelaxed';

function gemm(k: Kernels, name: GemmName, m: number, n: number, kp: number, codes: Int8Array, xs: Float32Array, w: Int8Array, ws: Float32Array, bias: Float32Array | null): Float32Array {
  const n4 = roundUp(n, 4);
  const q = k.heap.alloc(elems(k, codes.length));
  writeBytes(k, q, codes);
  const wo = k.heap.alloc(elems(k, n4 * kp));
  writeBytes(k, wo, w);
  const xo = k.heap.alloc(m);
  k.heap.write(xo, xs);
  const wso = k.heap.alloc(n4);
  k.heap.write(wso, ws);
  const bo = bias ? k.heap.alloc(n4) : -1;
  if (bias) k.heap.write(bo, bias);
  // One guard cell past y: the kernel must stop at n columns of the last row.
  const y = k.heap.alloc(m * n + 1);
  k.heap.data.fill(-7.5, y, y + m * n + 1);
  k[name](m, n, kp, q, xo, wo, wso, bo, y);
  const out = Float32Array.from(k.heap.read(y, m * n));
  expect(k.heap.data[y + m * n], `${name}: guard cell after y`).toBe(-7.5);
  for (const o of [q, wo, xo, wso, y]) k.heap.free(o);
  if (bias) k.heap.free(bo);
  return out;
}

function randomCodes(count: number, seed: number, lo: number, hi: number): Int8Array {
  const u = uniform(count, seed, lo, hi + 1);
  return Int8Array.from(u, (v) => Math.floor(v));
}

/** Codes for a [rows, kp] tensor, zero past `cols` (the layout the gemm requires). */
function paddedCodes(rows: number, cols: number, kp: number, seed: number, lo: number, hi: number): Int8Array {
  const raw = randomCodes(rows * kp, seed, lo, hi);
  for (let r = 0; r < rows; r++) raw.fill(0, r * kp + cols, (r + 1) * kp);
  return raw;
}

const js = jsKernels('f32');
const js64 = jsKernels('f64');
const baseline = await build('kernels.wasm');
const relaxed = await build('kernels-relaxed.wasm');
const wasmBuilds = [['kernels.wasm', baseline], ['kernels-relaxed.wasm', relaxed]] as const;

describe('int8QuantizeRows', () => {
  // cols: below, at and above a vector of 4 and of 16 codes; rows include 1.
  const cases = [[1, 1], [3, 5], [2, 16], [4, 17], [5, 33], [2, 64], [7, 100], [1, 784]] as const;
  for (const [rows, cols] of cases) {
    it(`${rows} x ${cols}: codes, scales and sign flag equal the spec on every build`, () => {
      const x = normal(rows * cols, rows * 100 + cols);
      const spec = quantize(js, x, rows, cols);
      for (const [name, k] of wasmBuilds) {
        if (!k) continue;
        const got = quantize(k, x, rows, cols);
        expect(Array.from(got.codes), name).toEqual(Array.from(spec.codes));
        expectBitIdentical(got.scales, spec.scales, `${name} scales`);
        expect(got.nonNegative, name).toBe(spec.nonNegative);
      }
      // The spec on a float64 heap sees the same float32 inputs: the same codes.
      expect(Array.from(quantize(js64, Float32Array.from(x), rows, cols).codes)).toEqual(Array.from(spec.codes));
    });
  }

  it('maps the row maximum to 127, rounds ties to even, zeroes padding and keeps zero rows at scale 0', () => {
    // Row 0: max 127 so the scale is 1 and each value is its own code: 0.5 -> 0, 1.5 -> 2, 2.5 -> 2, -2.5 -> -2.
    const row0 = [127, 0.5, 1.5, 2.5, -2.5, -127, 3.49, -0];
    const row1 = new Array(8).fill(0);
    for (const k of [js, baseline, relaxed]) {
      if (!k) continue;
      const got = quantize(k, [...row0, ...row1], 2, 8);
      expect(Array.from(got.codes.subarray(0, 16))).toEqual([127, 0, 2, 2, -2, -127, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
      expect(Array.from(got.codes.subarray(16))).toEqual(new Array(16).fill(0));
      expect(Array.from(got.scales)).toEqual([1, 0]);
      expect(got.nonNegative).toBe(0);
    }
  });

  it('agrees with the spec on rows holding Infinity or NaN (codes 0, scale Infinity or NaN)', () => {
    const x = uniform(3 * 20, 4, -1, 1);
    x[3] = Infinity;
    x[20 + 17] = NaN;
    x[40 + 19] = -Infinity;
    const spec = quantize(js, x, 3, 20);
    expect(Array.from(spec.codes.subarray(0, 96))).toEqual(new Array(96).fill(0));
    expect(Array.from(spec.scales)).toEqual([Infinity, NaN, Infinity]);
    for (const [name, k] of wasmBuilds) {
      if (!k) continue;
      const got = quantize(k, x, 3, 20);
      expect(Array.from(got.codes), name).toEqual(Array.from(spec.codes));
      expect(Array.from(got.scales), name).toEqual(Array.from(spec.scales));
    }
  });

  it('flags rows without negative codes (relu / sigmoid outputs) as in range for the relaxed gemm', () => {
    const x = uniform(3 * 40, 9, 0, 1);
    x[7] = -1e-6; // rounds to code 0: still in range
    for (const k of [js, baseline, relaxed]) {
      if (!k) continue;
      expect(quantize(k, x, 3, 40).nonNegative).toBe(1);
      const y = Float64Array.from(x);
      y[45] = -0.2;
      expect(quantize(k, y, 3, 40).nonNegative).toBe(0);
    }
  });
});

describe('int8 gemms', () => {
  // m: 1, 2, odd; n: below, at and above 4; kp: one and several vectors.
  const shapes = [[1, 1, 16], [1, 5, 16], [2, 4, 32], [3, 7, 48], [5, 9, 80], [2, 64, 784 + 16 - (784 % 16)], [9, 3, 16]] as const;
  for (const [m, n, k] of shapes) {
    const kp = roundUp(k, 16);
    const n4 = roundUp(n, 4);
    const w = paddedCodes(n4, k - 3 > 0 ? k - 3 : k, kp, m * 31 + n, -127, 127);
    w.fill(0, n * kp);
    const ws = Float32Array.from(uniform(n4, n + 5, 0.001, 0.02));
    const xs = Float32Array.from(uniform(m, m + 6, 0.001, 0.05));
    const bias = Float32Array.from(uniform(n4, n + 7, -1, 1));
    for (const withBias of [true, false]) {
      it(`${m} x ${n} x ${kp}${withBias ? '' : ', no bias'}: signed codes, dot16 equals the spec bit for bit`, () => {
        const q = paddedCodes(m, k, kp, m + n + k, -127, 127);
        const b = withBias ? bias : null;
        const spec = gemm(js, 'int8GemmDot16', m, n, kp, q, xs, w, ws, b);
        // The spec against float64 sums of the same integers (exact), dequantized in float32.
        for (let r = 0; r < m; r++) {
          for (let c = 0; c < n; c++) {
            let acc = 0;
            for (let i = 0; i < kp; i++) acc += q[r * kp + i]! * w[c * kp + i]!;
            let v = Math.fround(acc * Math.fround(xs[r]! * ws[c]!));
            if (b) v = Math.fround(v + b[c]!);
            expect(spec[r * n + c], `spec at ${r}, ${c}`).toBe(v);
          }
        }
        for (const [name, kern] of wasmBuilds) {
          if (!kern) continue;
          expectBitIdentical(gemm(kern, 'int8GemmDot16', m, n, kp, q, xs, w, ws, b), spec, `${name} dot16`);
        }
      });
      it(`${m} x ${n} x ${kp}${withBias ? '' : ', no bias'}: codes in [0, 127], relaxed equals dot16 bit for bit`, () => {
        const q = paddedCodes(m, k, kp, m * n + k, 0, 127);
        const b = withBias ? bias : null;
        const spec = gemm(js, 'int8GemmDot16', m, n, kp, q, xs, w, ws, b);
        expectBitIdentical(gemm(js, 'int8GemmRelaxed', m, n, kp, q, xs, w, ws, b), spec, 'js relaxed');
        for (const [name, kern] of wasmBuilds) {
          if (!kern) continue;
          expectBitIdentical(gemm(kern, 'int8GemmRelaxed', m, n, kp, q, xs, w, ws, b), spec, `${name} relaxed`);
          expectBitIdentical(gemm(kern, 'int8GemmDot16', m, n, kp, q, xs, w, ws, b), spec, `${name} dot16`);
        }
      });
    }
  }

  it('extreme codes (every product 127 x -127) sum exactly', () => {
    const kp = 784 + 16 - (784 % 16);
    const q = new Int8Array(2 * kp).fill(127);
    const w = new Int8Array(4 * kp).fill(-127);
    const ones = new Float32Array([1, 1, 1, 1]);
    for (const k of [js, baseline, relaxed]) {
      if (!k) continue;
      for (const name of ['int8GemmRelaxed', 'int8GemmDot16'] as const) {
        const y = gemm(k, name, 2, 3, kp, q, ones.subarray(0, 2), w, ones, null);
        expect(Array.from(y), name).toEqual(new Array(6).fill(-127 * 127 * kp));
      }
    }
  });

  it('the relaxed build is loaded where the engine accepts relaxed SIMD', () => {
    expect(baseline).not.toBeNull();
    if (relaxedSimdValidates()) expect(relaxed).not.toBeNull();
  });
});
