// The kernel thread pool: every split kernel gives bit-identical results with 1 and with
// 2 threads (each output element is computed by one thread in a fixed order), jobs are
// really split, a worker's trap surfaces as an error on the caller, and the pool falls
// back to one thread where shared memory is missing.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { conv2dGeometry, conv2dTransposeGeometry } from '../../src/kernels/geometry.js';
import type { Kernels } from '../../src/kernels/kernels.js';
import { createKernels } from '../../src/kernels/node.js';
import { WorkerError } from '../../src/errors.js';
import { ThreadedKernels } from '../../src/kernels/threads/pool.js';
import { uniform } from '../helpers.js';
import { threadPair } from './thread-pair.js';

let one: Kernels;
let two: ThreadedKernels & Kernels;

beforeAll(async () => {
  ({ one, two } = await threadPair());
});

afterAll(() => two?.dispose());

/** Runs `call` on both backends over the same inputs; returns the outputs. */
function both(inputs: Float64Array[], outSizes: number[], call: (kernels: Kernels, ins: number[], outs: number[]) => void): [Float32Array[], Float32Array[]] {
  const results: Float32Array[][] = [];
  for (const kernels of [one, two]) {
    const ins = inputs.map((v) => {
      const off = kernels.heap.alloc(v.length);
      kernels.heap.write(off, v);
      return off;
    });
    const outs = outSizes.map((n) => kernels.heap.allocZeroed(n));
    call(kernels, ins, outs);
    results.push(outs.map((o, i) => kernels.heap.read(o, outSizes[i]!)));
    for (const o of [...ins, ...outs]) kernels.heap.free(o);
  }
  return [results[0]!, results[1]!];
}

function expectSameBits(a: Float32Array[], b: Float32Array[]): void {
  a.forEach((x, i) => expect(Buffer.from(x.buffer).equals(Buffer.from(b[i]!.buffer)), `output ${i}`).toBe(true));
}

describe('kernel thread pool: 1 thread vs 2 threads, bit for bit', () => {
  it.each([
    [256, 784, 64, 0, 0], [256, 64, 784, 0, 1], [784, 256, 64, 1, 0], [64, 256, 784, 1, 0], [3, 784, 512, 0, 0], [97, 300, 45, 1, 1],
  ])('sgemm m=%i k=%i n=%i transA=%i transB=%i', (m, k, n, ta, tb) => {
    const jobs = two.jobs;
    const [r1, r2] = both([uniform(m * k, 1), uniform(k * n, 2), uniform(m * n, 3)], [m * n], (K, [a, b, c0], [c]) => {
      K.copy(c0!, c!, m * n);
      K.sgemm(ta, tb, m, n, k, 0.5, a!, ta ? m : k, b!, tb ? k : n, 0.25, c!, n);
    });
    expectSameBits(r1, r2);
    expect(two.jobs).toBeGreaterThan(jobs);
  });

  it('sgemmBiasAct, split by rows and by columns', () => {
    for (const [m, n, k] of [[256, 64, 784], [2, 784, 64]] as const) {
      const [r1, r2] = both([uniform(m * k, 4), uniform(k * n, 5), uniform(n, 6)], [m * n], (K, [a, b, bias], [c]) =>
        K.sgemmBiasAct(0, 0, m, n, k, a!, k, b!, n, c!, n, bias!, 3, 0));
      expectSameBits(r1, r2);
    }
  });

  const convs = [
    conv2dGeometry(48, 28, 28, 1, 16, 3, 3, 2, 2, 'same'),
    conv2dGeometry(48, 14, 14, 16, 8, 3, 3, 2, 2, 'same'),
    conv2dTransposeGeometry(48, 14, 14, 8, 16, 3, 3, 2, 2, 'same'),
    conv2dGeometry(48, 28, 28, 16, 1, 3, 3, 1, 1, 'same'),
  ];
  it.each(convs.map((g, i) => [i, g] as const))('conv layer %i: forward, input gradient and filter gradient', (_, g) => {
    const xs = g.n * g.ih * g.iw * g.cin, ys = g.n * g.oh * g.ow * g.cout, ws = g.kh * g.kw * g.cin * g.cout;
    const G = [g.n, g.ih, g.iw, g.cin, g.oh, g.ow, g.cout, g.kh, g.kw, g.sh, g.sw, g.padTop, g.padLeft] as const;
    const [r1, r2] = both([uniform(xs, 7), uniform(ws, 8), uniform(ys, 9)], [ys, xs, ws], (K, [x, w, dy], [y, dx, dw]) => {
      K.conv2dForward(x!, w!, y!, ...G);
      K.conv2dBackwardInput(dy!, w!, dx!, ...G);
      K.conv2dBackwardFilter(x!, dy!, dw!, ...G);
    });
    expectSameBits(r1, r2);
  });

  it('elementwise, random, Adam, losses and pooling', () => {
    const n = 200_003;
    const [r1, r2] = both([uniform(n, 10), uniform(n, 11, 0, 1), uniform(2048, 12)], [n, n, n, n, n, 1001, n, n, 2048], (K, [a, t, bias], [y, dx, r, m, v, rows, dp, p, w]) => {
      K.biasActForward(a!, bias!, y!, 1001, 199, 4, 0);
      K.actBackward(y!, a!, dx!, n, 3, 0);
      K.randNormal(r!, n, 77, 2 ** 32 - 1000, 0.5, 2);
      K.add(r!, a!, r!, n);
      K.clip(r!, 0, 1, r!, n);
      K.copy(a!, w!, 2048);
      K.adamStep(m!, a!, v!, dp!, n, 1e-3, 0.9, 0.999, 1e-7);
      K.bceLogitsForward(a!, t!, rows!, 1001, 199);
      K.mseBackward(y!, t!, dp!, n, 1 / n);
      K.maxpool2dForward(y!, p!, 15, 28, 28, 16, 14, 14, 2, 2, 2, 2, 0, 0); // 15 images: 188,160 floats, inside y (and dx below)
      K.upsample2dForward(p!, dx!, 15, 14, 14, 16, 2, 2);
    });
    expectSameBits(r1, r2);
  });

  it('an empty job is posted to the workers and joined (the bench times it as the hand-off)', () => {
    const jobs = two.jobs;
    for (let i = 0; i < 50; i++) two.emptyJob();
    expect(two.jobs).toBe(jobs + 50);
  });

  it('a trap in a worker surfaces as a WorkerError on the caller, and the pool keeps working', () => {
    expect(() => two.trapForTest()).toThrow(WorkerError);
    const [r1, r2] = both([uniform(65536 * 4, 13)], [65536 * 4], (K, [a], [y]) => K.biasActForward(a!, -1, y!, 65536, 4, 1, 0));
    expectSameBits(r1, r2);
  });

  it('falls back to one thread, with one warning, where shared memory is unavailable', async () => {
    const g = globalThis as { crossOriginIsolated?: boolean };
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    g.crossOriginIsolated = false;
    try {
      const a = await createKernels({ threads: 4 });
      const b = await createKernels({ threads: 4 });
      expect(a).not.toBeInstanceOf(ThreadedKernels);
      expect(b).not.toBeInstanceOf(ThreadedKernels);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]![0])).toMatch(/1 thread instead of 4/);
    } finally {
      delete g.crossOriginIsolated;
      warn.mockRestore();
    }
  });
});
