// Losses and the VAE's terms (assembly/loss.ts): mse, bce (clipped), bce from logits,
// KL(N(mu, exp(lv)) || N(0, 1)) and the reparameterisation, forward and backward.
// 1. WASM vs the JS spec, guarded, over rows x cols and sizes below / at / above the SIMD
//    width, with p beyond the clip bounds 1e-7 and 1 - 1e-7, logits of magnitude 30,
//    and klBackward overwriting NaN-filled gradients.
// 2. Every backward against central differences of its forward on the JS spec (float64).
// Tolerances are bounds on float32 rounding in units of U32 = 2^-24, written per case.
import { describe, expect, it } from 'vitest';
import type { Kernels } from '../../src/kernels/kernels.js';
import {
  U32, centralDiff, dot, expectClose, expectExact, expectWithin, f32, kernelBackends, runGuarded, uniform,
} from '../helpers.js';

const { wasm, js, js64 } = await kernelBackends();

const SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 17, 31, 64, 97, 1031];
// Forward shapes; their tensors start cols % 4 cells past a 16-byte boundary.
const SHAPES = [1, 2, 3].flatMap((rows) => [1, 2, 3, 4, 5, 7, 8, 13, 64, 97, 784].map((cols) => ({ rows, cols })));
const nan = (n: number): Float64Array => new Float64Array(n).fill(NaN);
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** Runs `call` on WASM and the float32 spec over the same tensors; returns both outputs. */
function both(tensors: Float64Array[], outs: number[], call: (kernels: Kernels, o: number[]) => unknown, label: string, shift = 0) {
  const w = runGuarded(wasm, tensors, outs, (o) => call(wasm, o), { label, shift }).outs;
  const j = runGuarded(js, tensors, outs, (o) => call(js, o), { label, shift }).outs;
  return { w, j, t: tensors.map(f32) };
}

/** Per-row tolerance: Σ over the row of termTol, plus the row sum's cols u Σ|term|. */
function rowTol(rows: number, cols: number, termTol: (i: number) => number, termAbs: (i: number) => number): Float64Array {
  const tol = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let t = 0;
    let a = 0;
    for (let c = 0; c < cols; c++) {
      t += termTol(r * cols + c);
      a += termAbs(r * cols + c);
    }
    tol[r] = t + cols * U32 * a;
  }
  return tol;
}

// ---- mse ---------------------------------------------------------------------------------

describe('mse: WASM vs JS spec, guarded', () => {
  it.each(SHAPES)('mseForward rows=$rows cols=$cols', ({ rows, cols }) => {
    const n = rows * cols;
    const { w, j, t } = both([uniform(n, 1), uniform(n, 2), nan(rows)], [2], (kernels, o) => kernels.mseForward(o[0]!, o[1]!, o[2]!, rows, cols), 'mse', cols % 4);
    // Each term (p - t)²: the difference and the square round (3u relative, doubled for
    // second order); the row sum adds cols u Σ terms.
    const d2 = (i: number) => (t[0]![i]! - t[1]![i]!) ** 2;
    expectWithin(w[0]!, j[0]!, rowTol(rows, cols, (i) => 6 * U32 * d2(i), d2), 'out');
  });

  it.each(SIZES.flatMap((n) => [1 / 784, 0.5].map((scale) => ({ n, scale }))))('mseBackward n=$n scale=$scale', ({ n, scale }) => {
    for (const shift of n === 7 ? [0, 1, 3] : [0]) {
      const { w, j } = both([uniform(n, 3), uniform(n, 4), nan(n)], [2], (kernels, o) => kernels.mseBackward(o[0]!, o[1]!, o[2]!, n, scale), 'dmse', shift);
      // scale rounds to float32 (u), p - t (u), the product (u), the spec (u): 4u relative.
      expectWithin(w[0]!, j[0]!, j[0]!.map((e) => 4 * U32 * Math.abs(e)), 'dp');
    }
  });
});

// ---- bce ---------------------------------------------------------------------------------

/** Probabilities with every fifth cell at or beyond the clip bounds. */
function probabilities(n: number, seed: number): Float64Array {
  const edges = [0, 1e-9, 5e-8, Math.fround(1e-7), 1.2e-7, 1 - 2 ** -23, 1 - 2 ** -24, 1, 0.9999999, 0.5];
  const p = uniform(n, seed, 0, 1);
  for (let i = 2; i < n; i += 5) p[i] = edges[(i / 5) % edges.length | 0]!;
  if (n === 1) p[0] = 1;
  return p;
}

/** Targets in [0, 1] with exact 0s and 1s mixed in (MNIST pixels are mostly 0). */
function targets(n: number, seed: number): Float64Array {
  return uniform(n, seed, 0, 1).map((v, i) => (i % 3 === 0 ? 0 : i % 3 === 1 ? v : 1));
}

const clipP = (p: number): number => Math.min(Math.max(p, Math.fround(1e-7)), Math.fround(1 - Math.fround(1e-7)));

describe('bce: WASM vs JS spec, guarded', () => {
  it.each(SHAPES)('bceForward rows=$rows cols=$cols', ({ rows, cols }) => {
    const n = rows * cols;
    const { w, j, t } = both([probabilities(n, 5), targets(n, 6), nan(rows)], [2], (kernels, o) => kernels.bceForward(o[0]!, o[1]!, o[2]!, rows, cols), 'bce', cols % 4);
    // Term -(t log(pc + eps) + (1 - t) log(1 - pc + eps)): the arguments of the logs round
    // (u relative -> u absolute in the log), Cephes logf is within 2u |log|, then 1 - t,
    // the products and the sum round: 6u (t (|L1| + 1) + (1 - t) (|L2| + 1)) per term.
    const parts = (i: number) => {
      const pc = clipP(t[0]![i]!);
      const tv = t[1]![i]!;
      return [tv, Math.abs(Math.log(pc + 1e-7)), Math.abs(Math.log(1 - pc + 1e-7))] as const;
    };
    const termTol = (i: number) => {
      const [tv, l1, l2] = parts(i);
      return 6 * U32 * (tv * (l1 + 1) + (1 - tv) * (l2 + 1));
    };
    const termAbs = (i: number) => {
      const [tv, l1, l2] = parts(i);
      return tv * l1 + (1 - tv) * l2;
    };
    expectWithin(w[0]!, j[0]!, rowTol(rows, cols, termTol, termAbs), 'out');
  });

  it.each(SIZES)('bceBackward n=%i (0 where p is clipped)', (n) => {
    const scale = 1 / 784;
    const { w, j, t } = both([probabilities(n, 7), targets(n, 8), nan(n)], [2], (kernels, o) => kernels.bceBackward(o[0]!, o[1]!, o[2]!, n, scale), 'dbce');
    // (1 - t) / (1 - p + eps) and t / (p + eps) each carry 4 roundings (4u relative);
    // their difference, the product with scale (and scale itself) round: 6u |scale|
    // (|A| + |B|) bounds WASM - exact, the spec's rounding included.
    const tol = j[0]!.map((_, i) => {
      const p = t[0]![i]!;
      const tv = t[1]![i]!;
      return 6 * U32 * scale * ((1 - tv) / (1 - p + 1e-7) + tv / (p + 1e-7));
    });
    expectWithin(w[0]!, j[0]!, tol, 'dp');
    // Clipped cells get exactly 0 on both; the bounds themselves are inside (a target of
    // 0 or 1 makes the gradient 1 / (1 - p + eps) or -1 / (p + eps), never 0).
    t[0]!.forEach((p, i) => {
      const clipped = p < Math.fround(1e-7) || p > 1 - 2 ** -23;
      if (clipped) expect([w[0]![i], j[0]![i]], `p=${p}`).toEqual([0, 0]);
      else if (t[1]![i] === 0 || t[1]![i] === 1) expect(w[0]![i] !== 0 && j[0]![i] !== 0, `p=${p}`).toBe(true);
    });
  });

  it('bceForward at the clip bounds: one row of edge probabilities, t = 0 and t = 1', () => {
    const p = Float64Array.of(0, 1e-9, Math.fround(1e-7), 1 - 2 ** -23, 1 - 2 ** -24, 1, 0.9999999, 1e-30);
    for (const tv of [0, 1]) {
      const tt = new Float64Array(p.length).fill(tv);
      const { w, j } = both([p, tt, nan(p.length)], [2], (kernels, o) => kernels.bceForward(o[0]!, o[1]!, o[2]!, p.length, 1), `edges t=${tv}`);
      // As Keras in float32: p is clipped to [f32(1e-7), 1 - 2^-23] (the float32 nearest
      // 1 - 1e-7), then -log(p + eps) or -log(1 - p + eps). Logs within 2u relative, one
      // rounding of the argument (u absolute) and the spec's (u): 4u |L| + 2u per cell.
      const want = Array.from(p, (v) => {
        const pc = clipP(Math.fround(v));
        return tv === 1 ? -Math.log(pc + Math.fround(1e-7)) : -Math.log(1 - pc + Math.fround(1e-7));
      });
      for (const got of [w[0]!, j[0]!]) {
        expectWithin(got, want, want.map((v) => 4 * U32 * Math.abs(v) + 2 * U32), `t=${tv}`);
      }
    }
  });
});

// ---- bce from logits -------------------------------------------------------------------------

function logits(n: number, seed: number): Float64Array {
  const x = uniform(n, seed, -6, 6);
  const edges = [30, -30, 0, 17, -17, 88, -88];
  for (let i = 1; i < n; i += 4) x[i] = edges[(i / 4) % edges.length | 0]!;
  return x;
}

describe('bceLogits: WASM vs JS spec, guarded', () => {
  it.each(SHAPES)('bceLogitsForward rows=$rows cols=$cols', ({ rows, cols }) => {
    const n = rows * cols;
    const { w, j, t } = both([logits(n, 9), targets(n, 10), nan(rows)], [2], (kernels, o) => kernels.bceLogitsForward(o[0]!, o[1]!, o[2]!, rows, cols), 'bcel', cols % 4);
    // max(x, 0) - x t + log(1 + exp(-|x|)): x t rounds (u |x t|), the difference b rounds
    // (u |b| <= u (|x| + |x t|)); exp(-|x|) = e <= 1 is within 2u e, 1 + e rounds (u), so
    // the log's argument is off by u + 2u e / (1 + e) <= 2u relative, and log's own 2u
    // |sp| <= 1.4u; the last sum rounds (u |s| <= u (|b| + 0.7)) and so does the spec:
    // u (3 |x t| + 2 |x| + 4.5) per term, doubled for second order.
    const x = t[0]!;
    const tt = t[1]!;
    const termTol = (i: number) => 2 * U32 * (3 * Math.abs(x[i]! * tt[i]!) + 2 * Math.abs(x[i]!) + 4.5);
    const termAbs = (i: number) => Math.max(x[i]!, 0) - x[i]! * tt[i]! + Math.log1p(Math.exp(-Math.abs(x[i]!)));
    expectWithin(w[0]!, j[0]!, rowTol(rows, cols, termTol, termAbs), 'out');
  });

  it.each([1, 3, 5, 8, 13].map((cols) => ({ cols })))('bceLogitsForward, |x| <= 1 and t in {0, 1}, cols=$cols', ({ cols }) => {
    // Here x t and max(x, 0) - x t are exact, so only the softplus term log(1 + exp(-|x|))
    // and the sums round: its argument is within 2u, log adds 2u |sp| <= 1.4u, the final
    // sum and the spec round (u |s| each): u (3.4 + 2 |s|) per term, doubled.
    const rows = 2;
    const n = rows * cols;
    const x = uniform(n, 42, -1, 1);
    const tt = Float64Array.from({ length: n }, (_, i) => i % 2);
    const { w, j, t } = both([x, tt, nan(rows)], [2], (kernels, o) => kernels.bceLogitsForward(o[0]!, o[1]!, o[2]!, rows, cols), 'bcel small');
    const term = (i: number) => Math.max(t[0]![i]!, 0) - t[0]![i]! * tt[i]! + Math.log1p(Math.exp(-Math.abs(t[0]![i]!)));
    expectWithin(w[0]!, j[0]!, rowTol(rows, cols, (i) => 2 * U32 * (3.4 + 2 * term(i)), term), 'out');
  });

  it.each(SIZES)('bceLogitsBackward n=%i', (n) => {
    const scale = 0.25;
    for (const shift of n === 13 ? [0, 2] : [0]) {
      const { w, j, t } = both([logits(n, 11), targets(n, 12), nan(n)], [2], (kernels, o) => kernels.bceLogitsBackward(o[0]!, o[1]!, o[2]!, n, scale), 'dbcel', shift);
      // sigmoid within 4u relative (exp 2u, 1 + e, the division), sigmoid - t and the
      // product with scale round, the spec rounds: u scale (4 s + 3 |s - t|), doubled.
      const tol = j[0]!.map((_, i) => {
        const s = sigmoid(t[0]![i]!);
        return 2 * U32 * scale * (4 * s + 3 * Math.abs(s - t[1]![i]!));
      });
      expectWithin(w[0]!, j[0]!, tol, 'dx');
    }
  });

  it('logits of magnitude 30: the stable form loses nothing', () => {
    const x = Float64Array.of(30, -30, 30, -30);
    const tt = Float64Array.of(1, 0, 0, 1);
    const { w, j } = both([x, tt, nan(1)], [2], (kernels, o) => kernels.bceLogitsForward(o[0]!, o[1]!, o[2]!, 1, 4), 'x=30');
    // The two confident-and-right cells cost exp(-30) ~ 9e-14 each; the wrong ones ~30.
    const want = 2 * (30 + Math.log1p(Math.exp(-30))) + 2 * Math.log1p(Math.exp(-30));
    for (const got of [w[0]![0]!, j[0]![0]!]) expect(Math.abs(got - want)).toBeLessThanOrEqual(4 * U32 * want);
    const grad = both([x, tt, nan(4)], [2], (kernels, o) => kernels.bceLogitsBackward(o[0]!, o[1]!, o[2]!, 4, 1), 'dx=30');
    // sigmoid(30) rounds to 1 in float32 (1 - 9e-14): gradients 0, 1, 1, -1 up to 1e-13.
    for (const got of [grad.w[0]!, grad.j[0]!]) expectClose(got, [0, 0, 1, -1], 1e-13, 0, 'dx');
  });
});

// ---- KL and reparameterisation --------------------------------------------------------------

function logVars(n: number, seed: number): Float64Array {
  const lv = uniform(n, seed, -3, 3);
  const edges = [0, -20, 20, 50, 1e-4];
  for (let i = 2; i < n; i += 6) lv[i] = edges[(i / 6) % edges.length | 0]!;
  return lv;
}

describe('kl and reparam: WASM vs JS spec, guarded', () => {
  it.each(SHAPES)('klForward rows=$rows cols=$cols', ({ rows, cols }) => {
    const n = rows * cols;
    const { w, j, t } = both([uniform(n, 13, -2, 2), logVars(n, 14), nan(rows)], [2], (kernels, o) => kernels.klForward(o[0]!, o[1]!, o[2]!, rows, cols), 'kl', cols % 4);
    // Term -0.5 (1 + l - m² - exp(l)): five roundings each at most u times one of 1 + |l|,
    // m², exp(l) (exp itself 2u): 3u (1 + |l| + m² + exp(l)) per term, halved by -0.5 and
    // doubled for second order. All terms are >= 0, so Σ|term| is the row itself.
    const termTol = (i: number) => 3 * U32 * (1 + Math.abs(t[1]![i]!) + t[0]![i]! ** 2 + Math.exp(t[1]![i]!));
    const termAbs = (i: number) => -0.5 * (1 + t[1]![i]! - t[0]![i]! ** 2 - Math.exp(t[1]![i]!));
    expectWithin(w[0]!, j[0]!, rowTol(rows, cols, termTol, termAbs), 'out');
  });

  it.each(SIZES)('klBackward n=%i overwrites dmu, dlv (NaN before)', (n) => {
    const scale = 0.125;
    const { w, j, t } = both(
      [uniform(n, 17, -2, 2), logVars(n, 18), nan(n), nan(n)], [2, 3],
      (kernels, o) => kernels.klBackward(o[0]!, o[1]!, o[2]!, o[3]!, n, scale), 'dkl',
    );
    // scale mu: the product rounds once in WASM (u) and once in the spec (u).
    const tolMu = j[0]!.map((e) => 2 * U32 * Math.abs(e));
    // 0.5 scale (exp(lv) - 1): exp 2u, the subtraction and the product round:
    // u (0.5 scale (2 exp(lv) + |exp(lv) - 1|) + |out|), doubled for second order.
    const lv = t[1]!;
    const tolLv = j[1]!.map((e, i) => 2 * U32 * (0.5 * scale * (2 * Math.exp(lv[i]!) + Math.abs(Math.exp(lv[i]!) - 1)) + Math.abs(e)));
    expectWithin(w[0]!, j[0]!, tolMu, 'dmu');
    expectWithin(w[1]!, j[1]!, tolLv, 'dlv');
  });

  it.each(SIZES)('reparamForward n=%i', (n) => {
    const lv = uniform(n, 19, -4, 4);
    const { w, j, t } = both([uniform(n, 20, -2, 2), lv, uniform(n, 21, -3, 3), nan(n)], [3], (kernels, o) => kernels.reparamForward(o[0]!, o[1]!, o[2]!, o[3]!, n), 'z');
    // exp(lv / 2) 2u, times eps u, plus mu u: u (3 |sd eps| + |z|) for WASM, u |z| for
    // the spec; doubled for second order.
    const tol = j[0]!.map((e, i) => 2 * U32 * (3 * Math.abs(Math.exp(0.5 * t[1]![i]!) * t[2]![i]!) + 2 * Math.abs(e)));
    expectWithin(w[0]!, j[0]!, tol, 'z');
  });

  it.each(SIZES)('reparamBackward n=%i', (n) => {
    const { w, j } = both(
      [uniform(n, 22), uniform(n, 23, -4, 4), uniform(n, 24, -3, 3), nan(n), nan(n)], [3, 4],
      (kernels, o) => kernels.reparamBackward(o[0]!, o[1]!, o[2]!, o[3]!, o[4]!, n), 'dz',
    );
    expectExact(w[0]!, j[0]!, 'dmu = dz');
    // dz 0.5 (exp 2u) eps: exp, two products, the spec: 5u relative.
    expectWithin(w[1]!, j[1]!, j[1]!.map((e) => 5 * U32 * Math.abs(e)), 'dlv');
  });

  it('KL overflows to +Infinity like the spec when exp(lv) does', () => {
    const { w, j } = both([Float64Array.of(0, 0), Float64Array.of(0, 100), nan(1)], [2], (kernels, o) => kernels.klForward(o[0]!, o[1]!, o[2]!, 1, 2), 'kl inf');
    expect(j[0]![0]).toBe(Infinity);
    expect(w[0]![0]).toBe(Infinity);
  });
});

// ---- gradients: central differences in float64 on the JS spec ----------------------------

// h = 1e-6 in float64: truncation h² |f'''| / 6 <= 1e-11 for these smooth terms on the
// ranges used (p in [0.05, 0.95], |lv| <= 2), cancellation ~1e-16 |L| / h ~ 1e-9:
// atol 1e-7, rtol 1e-6.
const FD_ATOL = 1e-7;
const FD_RTOL = 1e-6;
const rows = 3;
const cols = 5;
const n = rows * cols;

function f64(tensors: Float64Array[], outs: number[], call: (o: number[]) => unknown): Float64Array[] {
  return runGuarded(js64, tensors, outs, call).outs;
}

/** scale Σ_rows of a loss forward's per-row output. */
function lossSum(forward: (a: number, b: number, out: number) => void, a: Float64Array, b: Float64Array, scale: number): number {
  const out = f64([a, b, new Float64Array(rows)], [2], (o) => forward(o[0]!, o[1]!, o[2]!))[0]!;
  return scale * out.reduce((s, v) => s + v, 0);
}

describe('loss gradients vs central differences (JS spec, float64)', () => {
  const scale = 0.3;

  // Losses of predictions x against targets t: backward(x, t, dx, n, scale) is
  // scale d/dx of Σ forward(x, t, out, rows, cols).
  const cases = [
    {
      name: 'mseBackward = scale d/dp Σ mseForward', x: uniform(n, 30), t: uniform(n, 31), label: 'dp',
      forward: (a: number, b: number, out: number) => js64.mseForward(a, b, out, rows, cols),
      backward: (o: number[]) => js64.mseBackward(o[0]!, o[1]!, o[2]!, n, scale),
    },
    {
      name: 'bceBackward = scale d/dp Σ bceForward (p inside the clip bounds)',
      x: uniform(n, 32, 0.05, 0.95), t: targets(n, 33), label: 'dp',
      forward: (a: number, b: number, out: number) => js64.bceForward(a, b, out, rows, cols),
      backward: (o: number[]) => js64.bceBackward(o[0]!, o[1]!, o[2]!, n, scale),
    },
    {
      name: 'bceLogitsBackward = scale d/dx Σ bceLogitsForward', x: uniform(n, 34, -4, 4), t: targets(n, 35), label: 'dx',
      forward: (a: number, b: number, out: number) => js64.bceLogitsForward(a, b, out, rows, cols),
      backward: (o: number[]) => js64.bceLogitsBackward(o[0]!, o[1]!, o[2]!, n, scale),
    },
  ];
  for (const { name, x, t, label, forward, backward } of cases) {
    it(name, () => {
      const dx = f64([x, t, new Float64Array(n)], [2], backward)[0]!;
      const num = centralDiff([x, t], 0, (ins) => lossSum(forward, ins[0]!, ins[1]!, scale));
      expectClose(dx, num, FD_ATOL, FD_RTOL, label);
    });
  }

  it('klBackward = scale d/d(mu, lv) Σ klForward', () => {
    const mu = uniform(n, 36, -2, 2);
    const lv = uniform(n, 37, -2, 2);
    const [dmu, dlv] = f64([mu, lv, new Float64Array(n), new Float64Array(n)], [2, 3], (o) => js64.klBackward(o[0]!, o[1]!, o[2]!, o[3]!, n, scale));
    const loss = (ins: Float64Array[]) => lossSum((a, b, out) => js64.klForward(a, b, out, rows, cols), ins[0]!, ins[1]!, scale);
    expectClose(dmu!, centralDiff([mu, lv], 0, loss), FD_ATOL, FD_RTOL, 'dmu');
    expectClose(dlv!, centralDiff([mu, lv], 1, loss), FD_ATOL, FD_RTOL, 'dlv');
  });

  it('reparamBackward = d/d(mu, lv) Σ r z', () => {
    const mu = uniform(n, 38);
    const lv = uniform(n, 39, -2, 2);
    const eps = uniform(n, 40, -2, 2);
    const r = uniform(n, 41);
    const [dmu, dlv] = f64([r, lv, eps, new Float64Array(n), new Float64Array(n)], [3, 4], (o) => js64.reparamBackward(o[0]!, o[1]!, o[2]!, o[3]!, o[4]!, n));
    const loss = (ins: Float64Array[]) =>
      dot(r, f64([ins[0]!, ins[1]!, eps, new Float64Array(n)], [3], (o) => js64.reparamForward(o[0]!, o[1]!, o[2]!, o[3]!, n))[0]!);
    expectClose(dmu!, centralDiff([mu, lv], 0, loss), FD_ATOL, FD_RTOL, 'dmu');
    expectClose(dlv!, centralDiff([mu, lv], 1, loss), FD_ATOL, FD_RTOL, 'dlv');
  });
});
