// Counter-based random numbers (assembly/random.ts, src/kernels/random.ts).
// 1. randUniform / randNormal are BIT-IDENTICAL between WASM and the JS spec (and the pure
//    functions of random.ts): over >= 100k values, counters near 2^32 so the high word
//    changes mid-call, odd start counters, lengths 1, 2, 3, odd and even; guarded.
// 2. Statistics: uniforms in [lo, hi) and chi-square over 64 bins; mean, variance, tail
//    fractions and pair independence of 1e6 normals.
// 3. Box-Muller pairs: the values for counters c and c+1 (c even) are one pair whatever
//    call produces them, so any chunking of a stream gives the same values.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Kernels } from '../../src/kernels/kernels.js';
import { logUnit, normalAt, randomBits, uniformAt } from '../../src/kernels/random.js';
import { expectBitIdentical, jsKernels, runGuarded, wasmKernels } from '../helpers.js';

let wasm: Kernels;
let js: Kernels;
beforeAll(async () => {
  wasm = await wasmKernels();
  js = jsKernels('f32');
});

const TWO32 = 2 ** 32;

type Kind = 'uniform' | 'normal';

/** Draws n values from counter on backend k (guarded); a and b are lo/hi or mean/std. */
function draw(kernels: Kernels, kind: Kind, n: number, key: number, counter: number, a: number, b: number, shift = 0): Float64Array {
  const out = new Float64Array(n).fill(NaN);
  return runGuarded(kernels, [out], [0], (o) => {
    if (kind === 'uniform') kernels.randUniform(o[0]!, n, key, counter, a, b);
    else kernels.randNormal(o[0]!, n, key, counter, a, b);
  }, { shift, label: `${kind} n=${n} counter=${counter}` }).outs[0]!;
}

/** The pure functions of random.ts, rounded to float32 as a heap stores them. */
function reference(kind: Kind, n: number, key: number, counter: number, a: number, b: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = kind === 'uniform' ? a + (b - a) * uniformAt(key >>> 0, counter + i) : a + b * normalAt(key >>> 0, counter + i);
    out[i] = Math.fround(v);
  }
  return out;
}

interface ParityCase {
  what: string;
  n: number;
  key: number;
  counter: number;
}

const BIG: ParityCase[] = [
  { what: 'from 0', n: 100_001, key: 12345, counter: 0 },
  { what: 'high word changes mid-call, odd start', n: 120_000, key: 0xdeadbeef, counter: TWO32 - 50_001 },
  { what: 'high word changes mid-call, even start', n: 100_000, key: 7, counter: 2 * TWO32 - 40_000 },
];

const SMALL: ParityCase[] = [];
for (const counter of [0, 5, 6, TWO32 - 2, TWO32 - 1, TWO32, TWO32 + 1, 3 * TWO32 - 3, 2 ** 53 - 64, 2 ** 40 + 11]) {
  for (const n of [1, 2, 3, 4, 5, 7, 8, 13]) SMALL.push({ what: 'short', n, key: 0xffffffff, counter });
}
for (const key of [0, 1, 0x80000000, 0xffffffff]) SMALL.push({ what: `key ${key}`, n: 9, key, counter: 0x7fffffff });

describe('randUniform / randNormal: bit-identical on both backends', () => {
  const params: Record<Kind, [number, number][]> = {
    uniform: [[0, 1], [-1, 1], [-0.3, 2.7]],
    normal: [[0, 1], [0.5, 0.1], [-3, 2.5]],
  };
  for (const kind of ['uniform', 'normal'] as const) {
    it.each(BIG)(`${kind}: $what (n=$n, counter=$counter)`, (c) => {
      for (const [a, b] of params[kind]) {
        const want = reference(kind, c.n, c.key, c.counter, a, b);
        expectBitIdentical(draw(wasm, kind, c.n, c.key, c.counter, a, b), want, `wasm ${a},${b}`);
        expectBitIdentical(draw(js, kind, c.n, c.key, c.counter, a, b), want, `js ${a},${b}`);
      }
    });

    it.each(SMALL)(`${kind}: $what n=$n counter=$counter`, (c) => {
      const [a, b] = params[kind][2]!;
      const want = reference(kind, c.n, c.key, c.counter, a, b);
      for (const shift of [0, 1]) {
        expectBitIdentical(draw(wasm, kind, c.n, c.key, c.counter, a, b, shift), want, 'wasm');
        expectBitIdentical(draw(js, kind, c.n, c.key, c.counter, a, b, shift), want, 'js');
      }
    });

    it(`${kind}: n = 0 writes nothing`, () => {
      for (const kernels of [wasm, js]) {
        runGuarded(kernels, [new Float64Array(4)], [], (o) =>
          kind === 'uniform' ? kernels.randUniform(o[0]!, 0, 1, 3, 0, 1) : kernels.randNormal(o[0]!, 0, 1, 3, 0, 1),
        );
      }
    });
  }

  it('the high word of the counter matters (streams 2^32 apart differ)', () => {
    const a = draw(wasm, 'uniform', 64, 9, 100, 0, 1);
    const b = draw(wasm, 'uniform', 64, 9, TWO32 + 100, 0, 1);
    expect(a.filter((v, i) => v === b[i]).length).toBeLessThan(4);
  });
});

describe('random statistics (WASM, 1e6 draws)', () => {
  const N = 1_000_000;

  it.each([[0, 1], [-1, 1], [-0.5, 0.25]])('randUniform lies in [%d, %d)', (lo, hi) => {
    // The largest value, lo + (hi - lo)(1 - 2^-24), is at least one float32 ulp below hi
    // for these ranges, so rounding to float32 cannot reach hi. (For other ranges it can:
    // lo = 2, hi = 5 gives 5 - 1.8e-7, which rounds to 5.)
    const v = draw(wasm, 'uniform', N, 77, TWO32 - N / 2, lo, hi);
    let min = Infinity;
    let max = -Infinity;
    for (const x of v) {
      min = Math.min(min, x);
      max = Math.max(max, x);
    }
    expect(min).toBeGreaterThanOrEqual(lo);
    expect(max).toBeLessThan(hi);
    // With 1e6 draws the extremes come within ~1e-5 of the ends.
    expect(min - lo).toBeLessThan(1e-4 * (hi - lo));
    expect(hi - max).toBeLessThan(1e-4 * (hi - lo));
  });

  it('uniforms pass a chi-square test over 64 bins', () => {
    const v = draw(wasm, 'uniform', N, 4242, 12345, 0, 1);
    const bins = new Float64Array(64);
    for (const x of v) bins[Math.floor(x * 64)]! += 1;
    const expected = N / 64;
    let chi2 = 0;
    for (const o of bins) chi2 += (o - expected) ** 2 / expected;
    // 63 degrees of freedom: P(chi2 > 131.7) = P(chi2 < 23.0) = 1e-6 (Wilson-Hilferty).
    expect(chi2).toBeGreaterThan(23.0);
    expect(chi2).toBeLessThan(131.7);
  });

  it('normals: mean, variance, tail fractions and independent pairs', () => {
    const z = draw(wasm, 'normal', N, 99, TWO32 - 333_333, 0, 1);
    let s = 0;
    let s2 = 0;
    for (const x of z) {
      s += x;
      s2 += x * x;
    }
    const mean = s / N;
    const variance = s2 / N - mean * mean;
    // Five standard errors: sd(mean) = 1 / sqrt(N) = 1e-3, sd(variance) = sqrt(2 / N).
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(N));
    expect(Math.abs(variance - 1)).toBeLessThan(5 * Math.sqrt(2 / N));
    // P(|z| < 1), P(|z| < 2), P(|z| > 3) within five binomial standard errors.
    for (const [t, p] of [[1, 0.6826894921], [2, 0.9544997361], [3, 0.9973002039]] as const) {
      const inside = z.reduce((c, x) => c + (Math.abs(x) < t ? 1 : 0), 0) / N;
      expect(Math.abs(inside - p), `|z| < ${t}`).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / N));
    }
    // The two members of a pair (cos and sin of one angle) are uncorrelated, and their
    // squares too (independent normals): correlations within 5 / sqrt(N / 2).
    let c = 0;
    let cq = 0;
    for (let i = 1; i < N; i += 2) {
      c += z[i - 1]! * z[i]!;
      cq += (z[i - 1]! ** 2 - 1) * (z[i]! ** 2 - 1);
    }
    expect(Math.abs(c / (N / 2))).toBeLessThan(5 / Math.sqrt(N / 2));
    expect(Math.abs(cq / (N / 2) / 2)).toBeLessThan(5 / Math.sqrt(N / 2));
  });
});

describe('Box-Muller pairs and chunking', () => {
  it.each([0, 1, TWO32 - 51, TWO32 - 50, 2 ** 45 + 3])('one call over [c, c+100) equals [c, c+37) then [c+37, c+100), c=%d', (c) => {
    for (const kind of ['normal', 'uniform'] as const) {
      for (const kernels of [wasm, js]) {
        const whole = draw(kernels, kind, 100, 31, c, 0, 1);
        const parts = [...draw(kernels, kind, 37, 31, c, 0, 1), ...draw(kernels, kind, 63, 31, c + 37, 0, 1)];
        expectBitIdentical(parts, whole, `${kernels.backend} ${kind}`);
        // And value by value, one draw per call.
        const single = Array.from({ length: 100 }, (_, i) => draw(kernels, kind, 1, 31, c + i, 0, 1)[0]!);
        expectBitIdentical(single, whole, `${kernels.backend} ${kind} singles`);
      }
    }
  });

  it('counters 2j and 2j+1 are the cos and sin of one pair: z² + z² = -2 ln u1', () => {
    for (const even of [0, 2, 1000, TWO32 - 2, TWO32, 2 ** 50]) {
      const z0 = normalAt(5, even);
      const z1 = normalAt(5, even + 1);
      const r2 = -2 * logUnit(randomBits(5, even));
      expect(Math.abs(z0 * z0 + z1 * z1 - r2)).toBeLessThan(1e-12 * (1 + r2));
      // The angle comes from the second word: t = h2 2^-32 turns, z0 = r cos, z1 = r sin.
      const angle = (randomBits(5, even + 1) / TWO32) * 2 * Math.PI;
      expect(Math.abs(z0 - Math.sqrt(r2) * Math.cos(angle))).toBeLessThan(1e-12 * (1 + Math.sqrt(r2)));
      expect(Math.abs(z1 - Math.sqrt(r2) * Math.sin(angle))).toBeLessThan(1e-12 * (1 + Math.sqrt(r2)));
    }
  });

  it('logUnit(h) = ln((h + 0.5) 2^-32) to 1e-15 relative', () => {
    for (const h of [0, 1, 2, 3, 1000, 0x7fffffff, 0x80000000, 0xb504f333, 0xfffffffe, 0xffffffff]) {
      const want = Math.log((h + 0.5) / TWO32);
      expect(Math.abs(logUnit(h) - want), `h=${h}`).toBeLessThanOrEqual(1e-15 * Math.abs(want) + 1e-17);
    }
  });
});
