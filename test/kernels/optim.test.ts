// Optimizer updates (assembly/optim.ts): Adam and SGD with and without momentum, several
// steps in place, WASM vs the JS spec, every tensor guarded.
//
// Hyper-parameters cross the WASM ABI as float32, so both backends get them pre-rounded
// (Math.fround): then 1 - beta is the same number on both (exact in float32 for beta >=
// 0.5), and the tolerances below only need the kernels' own roundings. The bounds are
// propagated step by step in float64 alongside an exact run of the update.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Kernels } from '../../src/kernels/kernels.js';
import { U32, expectExact, expectWithin, f32, jsKernels, runGuarded, uniform, wasmKernels } from '../helpers.js';

let wasm: Kernels;
let js: Kernels;
beforeAll(async () => {
  wasm = await wasmKernels();
  js = jsKernels('f32');
});

const SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 17, 31, 64, 97, 1031];
const STEPS = 5;

/** STEPS gradients of n elements, one after the other; the third step's are tiny. */
function gradients(n: number, seed: number): Float64Array {
  return uniform(n * STEPS, seed, -1, 1).map((g, i) => (Math.floor(i / n) === 2 ? g * 1e-4 : g));
}

interface AdamParams {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
}

const ADAMS: (AdamParams & { name: string })[] = [
  { name: 'Keras defaults', lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-7 },
  { name: 'lr 0.01, eps 1e-3', lr: 0.01, beta1: 0.5, beta2: 0.99, eps: 1e-3 },
];

/** lrT of step t (1-based), Keras' bias correction folded in, rounded for the ABI. */
function lrT(p: AdamParams, t: number): number {
  return Math.fround((p.lr * Math.sqrt(1 - p.beta2 ** t)) / (1 - p.beta1 ** t));
}

/**
 * First-order error bounds of WASM's float32 Adam against the exact update, per element,
 * propagated over the steps (the spec's own final roundings, u |out|, included):
 *   m' = m + (g - m) c1:  Em' = (1 - c1) Em + u (2 |(g - m) c1| + 2 |m'|)
 *   v' = v + (g² - v) c2: Ev' = (1 - c2) Ev + u (c2 (g² + 2 |g² - v|) + 2 |v'|)
 *   w' = w - lrT m' / (sqrt(v') + eps): Ew' = Ew + lrT Em' / d + |step| (Ev' / (2 sqrt(v') d)
 *        + 4u) + 2u |w'|, with d = sqrt(v') + eps (sqrt, +eps, *, / round once each).
 * Doubled for second-order terms.
 */
function adamBounds(p: AdamParams, w0: Float64Array, grads: Float64Array, n: number) {
  const c1 = 1 - Math.fround(p.beta1);
  const c2 = 1 - Math.fround(p.beta2);
  const eps = Math.fround(p.eps);
  const w = f32(w0);
  const m = new Float64Array(n);
  const v = new Float64Array(n);
  const [ew, em, ev] = [new Float64Array(n), new Float64Array(n), new Float64Array(n)];
  for (let s = 0; s < STEPS; s++) {
    const lr = lrT(p, s + 1);
    for (let i = 0; i < n; i++) {
      const g = Math.fround(grads[s * n + i]!);
      const m1 = m[i]! + (g - m[i]!) * c1;
      const v1 = v[i]! + (g * g - v[i]!) * c2;
      em[i] = (1 - c1) * em[i]! + U32 * (2 * Math.abs((g - m[i]!) * c1) + 2 * Math.abs(m1));
      ev[i] = (1 - c2) * ev[i]! + U32 * (c2 * (g * g + 2 * Math.abs(g * g - v[i]!)) + 2 * Math.abs(v1));
      const d = Math.sqrt(v1) + eps;
      const step = (lr * m1) / d;
      const w1 = w[i]! - step;
      ew[i] = ew[i]! + (lr * em[i]!) / d + Math.abs(step) * (ev[i]! / (2 * Math.sqrt(v1) * d) + 4 * U32) + 2 * U32 * Math.abs(w1);
      m[i] = m1;
      v[i] = v1;
      w[i] = w1;
    }
  }
  return { w: ew.map((e) => 2 * e), m: em.map((e) => 2 * e), v: ev.map((e) => 2 * e) };
}

describe('adamStep: WASM vs JS spec, several steps, guarded', () => {
  const cases = ADAMS.flatMap((p) => SIZES.map((n) => ({ ...p, n })));
  it.each(cases)('$name n=$n', (c) => {
    const { n } = c;
    const w0 = uniform(n, 1, -1, 1);
    const grads = gradients(n, 2);
    // Tensors: w, the gradients of every step, m, v (Keras starts m = v = 0).
    const tensors = [w0, grads, new Float64Array(n), new Float64Array(n)];
    const run = (kernels: Kernels) =>
      runGuarded(kernels, tensors, [0, 2, 3], (o) => {
        for (let s = 0; s < STEPS; s++) {
          kernels.adamStep(o[0]!, o[1]! + s * n, o[2]!, o[3]!, n, lrT(c, s + 1), Math.fround(c.beta1), Math.fround(c.beta2), Math.fround(c.eps));
        }
      }, { label: `adam n=${n}`, shift: n === 7 ? 1 : 0 }).outs;
    const [ww, wm, wv] = run(wasm);
    const [jw, jm, jv] = run(js);
    const tol = adamBounds(c, w0, grads, n);
    expectWithin(wm!, jm!, tol.m, 'm');
    expectWithin(wv!, jv!, tol.v, 'v');
    expectWithin(ww!, jw!, tol.w, 'w');
    // The steps moved w by about lr per step (Adam's step is ~lr |m| / sqrt(v) <= ~lr).
    const moved = Math.max(...ww!.map((v, i) => Math.abs(v - Math.fround(w0[i]!))));
    expect(moved).toBeGreaterThan(c.lr);
  });
});

describe('sgdStep: WASM vs JS spec, several steps, guarded', () => {
  const lr = Math.fround(0.05);
  const cases = [0, 0.9].flatMap((momentum) => SIZES.map((n) => ({ momentum, n })));
  it.each(cases)('momentum=$momentum n=$n', ({ momentum, n }) => {
    const mom = Math.fround(momentum);
    const w0 = uniform(n, 3, -1, 1);
    const grads = gradients(n, 4);
    const vel0 = uniform(n, 5, -0.1, 0.1);
    const tensors = [w0, grads, vel0];
    // Momentum 0 leaves vel untouched: runGuarded fails if any tensor not listed changes.
    const outs = momentum === 0 ? [0] : [0, 2];
    const run = (kernels: Kernels) =>
      runGuarded(kernels, tensors, outs, (o) => {
        for (let s = 0; s < STEPS; s++) kernels.sgdStep(o[0]!, o[1]! + s * n, o[2]!, n, lr, mom);
      }, { label: `sgd n=${n}`, shift: n === 13 ? 3 : 0 }).outs;
    const wout = run(wasm);
    const jout = run(js);
    // Bounds propagated over the steps (doubled for second order):
    //   momentum 0: w' = w - lr g, Ew' = Ew + u (|lr g| + 2 |w'|);
    //   vel' = mom vel - lr g: Ev' = mom Ev + u (|mom vel| + |lr g| + 2 |vel'|);
    //   w' = w + vel': Ew' = Ew + Ev' + 2u |w'|.
    const w = f32(w0);
    const vel = f32(vel0);
    const ew = new Float64Array(n);
    const ev = new Float64Array(n);
    for (let s = 0; s < STEPS; s++) {
      for (let i = 0; i < n; i++) {
        const lg = lr * Math.fround(grads[s * n + i]!);
        if (mom === 0) {
          w[i] = w[i]! - lg;
          ew[i] = ew[i]! + U32 * (Math.abs(lg) + 2 * Math.abs(w[i]!));
        } else {
          const v1 = mom * vel[i]! - lg;
          ev[i] = mom * ev[i]! + U32 * (Math.abs(mom * vel[i]!) + Math.abs(lg) + 2 * Math.abs(v1));
          vel[i] = v1;
          w[i] = w[i]! + v1;
          ew[i] = ew[i]! + ev[i]! + 2 * U32 * Math.abs(w[i]!);
        }
      }
    }
    expectWithin(wout[0]!, jout[0]!, ew.map((e) => 2 * e), 'w');
    if (mom !== 0) expectWithin(wout[1]!, jout[1]!, ev.map((e) => 2 * e), 'vel');
  });

  it('momentum 0 accepts vel < 0 (no velocity buffer)', () => {
    const n = 7;
    const w0 = uniform(n, 6);
    const g = uniform(n, 7);
    const outs = [wasm, js].map((kernels) => runGuarded(kernels, [w0, g], [0], (o) => kernels.sgdStep(o[0]!, o[1]!, -1, n, 0.5, 0)).outs[0]!);
    // 0.5 g is exact, so w - 0.5 g rounds once on both.
    expectExact(outs[0]!, outs[1]!, 'w');
    expectExact(outs[1]!, f32(w0).map((v, i) => Math.fround(v - 0.5 * Math.fround(g[i]!))), 'w vs hand');
  });
});
