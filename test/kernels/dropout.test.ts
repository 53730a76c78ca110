// The dropout kernel (assembly/dropout.ts, JsKernels.dropout):
// 1. WASM and the JS spec are BIT-IDENTICAL, and both equal a reference written from the
//    generator's pure functions: shapes 1, primes, around the SIMD width, hw > 1
//    (SpatialDropout2D), counters whose high word changes inside a row, odd keys,
//    misaligned tensors, in place; NaN / inf / -0 inputs.
// 2. Kept values are x * f32(1 / (1 - rate)) exactly; dropped ones are +0.
// 3. The dropped fraction matches the rate (five binomial standard errors).
// 4. Splitting the samples (as the thread pool does) draws the same masks; 1 vs 2 threads.
// 5. The backward (the same call on dy) is the finite-difference gradient, in float64.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kernels } from '../../src/kernels/kernels.js';
import { createKernels } from '../../src/kernels/node.js';
import { randomBits } from '../../src/kernels/random.js';
import type { ThreadedKernels } from '../../src/kernels/threads/pool.js';
import { centralDiff, expectBitIdentical, expectClose, get, jsKernels, put, runGuarded, uniform, wasmKernels } from '../helpers.js';

let wasm: Kernels;
let js: Kernels;
let two: ThreadedKernels & Kernels;
const relaxed = !process.env['AE_WASM_BUILD']?.startsWith('kernels.wasm');

beforeAll(async () => {
  wasm = await wasmKernels();
  js = jsKernels('f32');
  two = (await createKernels({ threads: 2, build: relaxed ? 'kernels-relaxed-threads.wasm' : 'kernels-threads.wasm' })) as ThreadedKernels & Kernels;
});
afterAll(() => two?.dispose());

const TWO32 = 2 ** 32;

interface Call {
  n: number;
  hw: number;
  ch: number;
  key: number;
  counter: number;
  rate: number;
}

/** Independent of both backends: the mask as integer arithmetic on the generator's bits. */
function reference(x: ArrayLike<number>, c: Call): Float64Array {
  const thr = Math.ceil(c.rate * 2 ** 24);
  const scale = Math.fround(1 / (1 - c.rate));
  const out = new Float64Array(x.length);
  for (let s = 0; s < c.n; s++) {
    for (let p = 0; p < c.hw; p++) {
      for (let j = 0; j < c.ch; j++) {
        const i = (s * c.hw + p) * c.ch + j;
        const kept = randomBits(c.key >>> 0, c.counter + s * c.ch + j) >>> 8 >= thr;
        out[i] = kept ? Math.fround(Math.fround(x[i]!) * scale) : 0;
      }
    }
  }
  return out;
}

function run(kernels: Kernels, x: ArrayLike<number>, c: Call, shift = 0, inPlace = false): Float64Array {
  const size = c.n * c.hw * c.ch;
  if (inPlace) {
    return runGuarded(kernels, [x], [0], ([a]) => kernels.dropout(a!, a!, c.n, c.hw, c.ch, c.key, c.counter, c.rate), { shift }).outs[0]!;
  }
  return runGuarded(kernels, [x, new Float64Array(size).fill(7)], [1], ([a, b]) => kernels.dropout(a!, b!, c.n, c.hw, c.ch, c.key, c.counter, c.rate), {
    shift,
    label: JSON.stringify(c),
  }).outs[0]!;
}

/** Inputs with the awkward values: NaN and infinities are dropped to 0, -0 kept as -0. */
function input(size: number, seed: number): Float64Array {
  const x = uniform(size, seed, -3, 3);
  const special = [NaN, Infinity, -Infinity, -0, 0];
  for (let i = 0; i < Math.min(size, special.length); i++) x[(i * 7) % size] = special[i]!;
  return x;
}

const SHAPES: [number, number, number][] = [
  [1, 1, 1], [1, 1, 2], [1, 1, 3], [1, 1, 4], [1, 1, 5], [2, 1, 7], [3, 1, 8], [4, 1, 13], [2, 1, 784],
  [1, 2, 3], [2, 4, 5], [3, 9, 8], [2, 16, 1], [5, 7, 4], [2, 3, 17],
];
const COUNTERS = [0, 5, TWO32 - 3, TWO32 - 1, TWO32, 3 * TWO32 - 2000, 2 ** 53 - 5000];
const RATES = [0, 0.1, 1 / 3, 0.5, 0.9, 1 - 2 ** -24];

describe('dropout: bit-identical on both backends and to the generator', () => {
  it.each(SHAPES)('n=%i hw=%i ch=%i over counters, rates, keys and alignments', (n, hw, ch) => {
    const x = input(n * hw * ch, n * 1000 + hw * 10 + ch);
    let k = 0;
    for (const counter of COUNTERS) {
      for (const rate of RATES) {
        const c = { n, hw, ch, key: [0, 1, 0x9e3779b9, 0xffffffff][k++ % 4]!, counter, rate };
        const want = reference(x, c);
        const shift = k % 4;
        expectBitIdentical(run(wasm, x, c, shift), want, `wasm ${JSON.stringify(c)}`);
        expectBitIdentical(run(js, x, c, shift), want, `js ${JSON.stringify(c)}`);
      }
    }
  });

  it('a row whose counters cross 2^32 in the middle of a SIMD body, and in place', () => {
    for (const counter of [TWO32 - 17, TWO32 - 2 * 37 + 5, 5 * TWO32 - 40]) {
      const c = { n: 3, hw: 2, ch: 37, key: 77, counter, rate: 0.4 };
      const x = input(3 * 2 * 37, 5);
      const want = reference(x, c);
      for (const kernels of [wasm, js]) {
        expectBitIdentical(run(kernels, x, c), want, `${kernels.backend} counter ${counter}`);
        expectBitIdentical(run(kernels, x, c, 1, true), want, `${kernels.backend} in place, counter ${counter}`);
      }
    }
  });

  it('n, hw or ch = 0 writes nothing', () => {
    for (const kernels of [wasm, js]) {
      for (const [n, hw, ch] of [[0, 1, 4], [2, 0, 4], [2, 3, 0]] as const) {
        runGuarded(kernels, [new Float64Array(8), new Float64Array(8)], [], ([a, b]) => kernels.dropout(a!, b!, n, hw, ch, 1, 0, 0.5));
      }
    }
  });
});

describe('dropout: what the mask does', () => {
  it('kept values are x * f32(1 / (1 - rate)) exactly, dropped ones +0; rate 0 is a copy', () => {
    const x = uniform(4096, 3, 0.5, 2); // never 0, so a 0 output is a dropped unit
    for (const rate of [0, 0.2, 1 / 3, 0.5, 0.7, 0.95]) {
      const scale = Math.fround(1 / (1 - rate));
      const y = run(wasm, x, { n: 4, hw: 1, ch: 1024, key: 5, counter: 100, rate });
      let kept = 0;
      for (let i = 0; i < x.length; i++) {
        if (Object.is(y[i], 0)) continue;
        expect(y[i], `element ${i} at rate ${rate}`).toBe(Math.fround(Math.fround(x[i]!) * scale));
        kept++;
      }
      if (rate === 0) expectBitIdentical(y, x, 'rate 0');
      expect(kept).toBeGreaterThan(0);
    }
  });

  it.each([0.1, 0.25, 0.5, 0.8])('rate %d: the dropped fraction of 1e6 units is within five binomial standard errors', (rate) => {
    const N = 1_000_000;
    const x = new Float64Array(N).fill(1);
    const y = run(wasm, x, { n: 1000, hw: 1, ch: 1000, key: 1234, counter: TWO32 - N / 2, rate });
    const dropped = y.reduce((s, v) => s + (v === 0 ? 1 : 0), 0);
    // P(drop) = P(u < rate) = ceil(rate 2^24) / 2^24 for the 24-bit uniform.
    const p = Math.ceil(rate * 2 ** 24) / 2 ** 24;
    expect(Math.abs(dropped - N * p)).toBeLessThan(5 * Math.sqrt(N * p * (1 - p)));
  });

  it('hw > 1 (SpatialDropout2D): every pixel of a (sample, channel) shares one draw, channels drop at the rate', () => {
    const [n, hw, ch, rate] = [200, 9, 50, 0.3];
    const y = run(wasm, new Float64Array(n * hw * ch).fill(1), { n, hw, ch, key: 9, counter: 77, rate });
    let dropped = 0;
    for (let s = 0; s < n; s++) {
      for (let j = 0; j < ch; j++) {
        const first = y[s * hw * ch + j]!;
        for (let p = 1; p < hw; p++) expect(y[(s * hw + p) * ch + j], `sample ${s} pixel ${p} channel ${j}`).toBe(first);
        if (first === 0) dropped++;
      }
    }
    const N = n * ch;
    expect(Math.abs(dropped - N * rate)).toBeLessThan(5 * Math.sqrt(N * rate * (1 - rate)));
  });

  it('different counters give different masks; different keys too', () => {
    const x = new Float64Array(256).fill(1);
    const base = run(wasm, x, { n: 1, hw: 1, ch: 256, key: 3, counter: 0, rate: 0.5 });
    const shifted = run(wasm, x, { n: 1, hw: 1, ch: 256, key: 3, counter: 256, rate: 0.5 });
    const rekeyed = run(wasm, x, { n: 1, hw: 1, ch: 256, key: 4, counter: 0, rate: 0.5 });
    expect(base.filter((v, i) => v === shifted[i]).length).toBeLessThan(180);
    expect(base.filter((v, i) => v === rekeyed[i]).length).toBeLessThan(180);
  });
});

describe('dropout: splits and threads', () => {
  it('samples [0, k) then [k, n) with the counter advanced by k ch equal one call (the pool\'s split)', () => {
    const [n, hw, ch] = [7, 5, 6];
    const x = input(n * hw * ch, 11);
    const c = { n, hw, ch, key: 21, counter: TWO32 - 50, rate: 0.45 };
    for (const kernels of [wasm, js]) {
      const whole = run(kernels, x, c);
      for (const k of [1, 3, 6]) {
        const head = run(kernels, x.subarray(0, k * hw * ch), { ...c, n: k });
        const tail = run(kernels, x.subarray(k * hw * ch), { ...c, n: n - k, counter: c.counter + k * ch });
        expectBitIdentical([...head, ...tail], whole, `${kernels.backend} split at ${k}`);
      }
    }
  });

  it.each([[512, 1, 784], [256, 196, 8], [3, 1, 100_000]])('1 thread and 2 threads give the same bits (n=%i hw=%i ch=%i)', (n, hw, ch) => {
    const size = n * hw * ch;
    const x = uniform(size, 8, -1, 1);
    const outs: Float32Array[] = [];
    for (const kernels of [wasm, two] as Kernels[]) {
      const a = put(kernels, x);
      const b = kernels.heap.allocZeroed(size);
      kernels.dropout(a, b, n, hw, ch, 0xabcdef, TWO32 - 1000, 0.3);
      outs.push(kernels.heap.read(b, size));
      kernels.heap.free(a);
      kernels.heap.free(b);
    }
    expect(Buffer.from(outs[1]!.buffer).equals(Buffer.from(outs[0]!.buffer))).toBe(true);
  });

  it('the pool really splits a large call', () => {
    const jobs = two.jobs;
    const size = 256 * 784;
    const a = put(two, uniform(size, 1));
    two.dropout(a, a, 256, 1, 784, 1, 0, 0.5);
    two.heap.free(a);
    expect(two.jobs).toBeGreaterThan(jobs);
  });
});

describe('dropout backward vs central finite differences (JS spec, float64)', () => {
  it.each([[2, 1, 9], [3, 4, 3]])('n=%i hw=%i ch=%i: the gradient is the same call on dy, zero exactly on dropped units', (n, hw, ch) => {
    const k = jsKernels('f64');
    const size = n * hw * ch;
    const c = { n, hw, ch, key: 31, counter: 1000, rate: 0.4 };
    const w = uniform(size, 2, -1, 1);
    const xOff = k.heap.alloc(size);
    const yOff = k.heap.alloc(size);
    // L(x) = sum w * dropout(x): the mask is fixed by (key, counter).
    const loss = ([x]: Float64Array[]): number => {
      k.heap.write(xOff, x!);
      k.dropout(xOff, yOff, n, hw, ch, c.key, c.counter, c.rate);
      const y = get(k, yOff, size);
      return y.reduce((s, v, i) => s + v * w[i]!, 0);
    };
    const x = uniform(size, 4, -2, 2);
    const numeric = centralDiff([x], 0, loss);
    const dy = put(k, w);
    const dx = k.heap.alloc(size);
    k.dropout(dy, dx, n, hw, ch, c.key, c.counter, c.rate);
    const analytic = get(k, dx, size);
    expectClose(analytic, numeric, 1e-8, 1e-7, 'dL/dx');
    const forward = run(k, new Float64Array(size).fill(1), c);
    let dropped = 0;
    for (let i = 0; i < size; i++) {
      if (forward[i] === 0) {
        expect(analytic[i], `dropped unit ${i}`).toBe(0);
        dropped++;
      }
    }
    expect(dropped).toBeGreaterThan(0);
    expect(dropped).toBeLessThan(size);
  });
});
