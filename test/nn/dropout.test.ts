// Dropout and SpatialDropout2D as layers: their configs (typed errors naming the layer),
// the training forward and backward against the kernel on the noise stream's counters,
// identity at inference (reconstruct, encode, evaluate and the browser entry), the same
// masks on both backends, and a model file round trip.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModel as loadInBrowser } from '../../src/browser/index.js';
import { ArgumentError, ShapeError } from '../../src/errors.js';
import type { Kernels } from '../../src/kernels/kernels.js';
import { createKernels } from '../../src/kernels/node.js';
import type { LayerSpec, RunContext } from '../../src/nn/layer.js';
import type { DropoutBuffers } from '../../src/nn/layers/dropout.js';
import { Planner } from '../../src/nn/planner.js';
import { createLayer } from '../../src/nn/registry.js';
import type { Architecture } from '../../src/models/architecture.js';
import { Autoencoder } from '../../src/models/autoencoder.js';
import { decodeModel, encodeModel } from '../../src/models/model-file.js';
import { RandomStream } from '../../src/random/streams.js';
import { evaluate } from '../../src/train/evaluate.js';
import { expectBitIdentical, get, jsKernels, put, uniform, wasmKernels } from '../helpers.js';
import { smallSplits } from '../train/fixtures.js';

const L = (class_name: string, config: Record<string, unknown> = {}): LayerSpec => ({ class_name, config });
const TRAINING = { preset: 'custom', loss: 'mse' as const, optimizer: { name: 'adam' }, noise: 0, l1: 0, beta: 1, seed: 3 };

/** A small conv autoencoder with both layers; `rate` for Dropout, `spatial` for SpatialDropout2D. */
function arch(rate: number, spatial: number): Architecture {
  return {
    kind: 'autoencoder',
    input_shape: [28, 28, 1],
    parts: {
      encoder: [
        L('Conv2D', { filters: 8, kernel_size: 3, strides: 2, padding: 'same', activation: 'relu' }),
        L('SpatialDropout2D', { rate: spatial }),
        L('Flatten'),
        L('Dense', { units: 32, activation: 'relu' }),
        L('Dropout', { rate }),
      ],
      decoder: [L('Dense', { units: 784, activation: 'sigmoid' }), L('Reshape', { target_shape: [28, 28, 1] })],
    },
  };
}

let wasm: Kernels;
beforeAll(async () => {
  wasm = await wasmKernels();
});

describe('configs', () => {
  const where = 'encoder layer 1';
  it.each([
    [{}, /encoder layer 1 \(Dropout\): rate must be a number in \[0, 1\).*got undefined/],
    [{ rate: 1 }, /rate must be a number in \[0, 1\).*got 1$/],
    [{ rate: -0.1 }, /got -0.1/],
    [{ rate: '0.5' }, /got "0.5"/],
    [{ rate: null }, /got null/],
    [{ rate: 0.5, noise_shape: [null, 1, 1, 8] }, /noise_shape \[null,1,1,8\] is not supported, only null.*SpatialDropout2D/],
    [{ rate: 0.5, rat: 1 }, /unknown config key "rat"/],
  ])('Dropout %j is refused', (config, message) => {
    expect(() => createLayer(L('Dropout', config), where)).toThrow(ArgumentError);
    expect(() => createLayer(L('Dropout', config), where)).toThrow(message);
  });

  it('SpatialDropout2D: channels_first and noise_shape are refused, a rank-1 input is a ShapeError', () => {
    expect(() => createLayer(L('SpatialDropout2D', { rate: 0.2, data_format: 'channels_first' }), where)).toThrow(/encoder layer 1 \(SpatialDropout2D\): data_format must be "channels_last"/);
    expect(() => createLayer(L('SpatialDropout2D', { rate: 0.2, noise_shape: null }), where)).toThrow(/unknown config key "noise_shape"/);
    expect(() => createLayer(L('SpatialDropout2D', { rate: 1.5 }), where)).toThrow(ArgumentError);
    expect(() => createLayer(L('SpatialDropout2D', { rate: 0.2 }), where).build([12])).toThrow(ShapeError);
  });

  it("accepts Keras' own config (name, seed, noise_shape null, data_format channels_last) and writes back the rate", () => {
    const d = createLayer(L('Dropout', { name: 'dropout_3', trainable: true, dtype: 'float32', rate: 0.25, noise_shape: null, seed: 1337 }), where);
    expect(d.spec()).toEqual({ class_name: 'Dropout', config: { rate: 0.25 } });
    const s = createLayer(L('SpatialDropout2D', { name: 's', rate: 0, seed: null, data_format: 'channels_last' }), where);
    expect(s.spec()).toEqual({ class_name: 'SpatialDropout2D', config: { rate: 0 } });
  });
});

/** Runs one layer on its own: forward over x, then backward from dy, on `kernels`. */
function runLayer(kernels: Kernels, spec: LayerSpec, shape: number[], n: number, training: boolean, stream: RandomStream) {
  const layer = createLayer(spec, 'test');
  layer.build(shape);
  const size = shape.reduce((a, b) => a * b, 1);
  const pl = new Planner(kernels);
  const x = pl.tensor([n, ...shape]);
  const dx = pl.tensor([n, ...shape]);
  kernels.heap.write(x.offset, uniform(n * size, 5, 0.5, 1.5)); // never 0: a 0 output is a dropped unit
  const b = layer.plan(pl, x, dx, n, training) as DropoutBuffers;
  const ctx: RunContext = { kernels, training, noise: stream };
  const before = stream.counter;
  layer.forward(ctx, b, n);
  const y = get(kernels, b.y.offset, n * size);
  kernels.heap.write(b.dy!.offset, uniform(n * size, 6, -1, 1));
  layer.backward(ctx, b, n, false);
  const grad = get(kernels, dx.offset, n * size);
  const out = { x: get(kernels, x.offset, n * size), y, grad, drawn: stream.counter - before, from: before, size };
  pl.release();
  return out;
}

describe('forward and backward', () => {
  it.each([
    ['Dropout', [5, 3, 2], 5 * 3 * 2],
    ['SpatialDropout2D', [5, 3, 2], 2],
  ] as const)('%s draws one counter per unit (or channel) from the noise stream and masks dy as it masked x', (cls, shape, perSample) => {
    const n = 4;
    const stream = new RandomStream(0xfeed, 1000);
    const r = runLayer(wasm, L(cls, { rate: 0.5 }), [...shape], n, true, stream);
    expect(r.drawn).toBe(n * perSample);
    // The kernel on the drawn counters, for y and for dx.
    const hw = cls === 'Dropout' ? 1 : shape[0] * shape[1];
    const ch = r.size / hw;
    const js = jsKernels('f32');
    const x = put(js, r.x);
    js.dropout(x, x, n, hw, ch, 0xfeed, r.from, 0.5);
    expectBitIdentical(r.y, get(js, x, r.x.length), 'y');
    const dy = put(js, uniform(n * r.size, 6, -1, 1));
    js.dropout(dy, dy, n, hw, ch, 0xfeed, r.from, 0.5);
    expectBitIdentical(r.grad, get(js, dy, r.x.length), 'dx');
    // Some units dropped and some kept, and the gradient is zero exactly where y is.
    const zeros = r.y.filter((v) => v === 0).length;
    expect(zeros).toBeGreaterThan(0);
    expect(zeros).toBeLessThan(r.y.length);
    r.y.forEach((v, i) => expect(v === 0, `unit ${i}`).toBe(r.grad[i] === 0));
  });

  it.each(['Dropout', 'SpatialDropout2D'])('%s: the same masks on WASM and on the JS spec (f32 heap)', (cls) => {
    const a = runLayer(wasm, L(cls, { rate: 0.3 }), [6, 7, 3], 5, true, new RandomStream(42, 2 ** 32 - 100));
    const b = runLayer(jsKernels('f32'), L(cls, { rate: 0.3 }), [6, 7, 3], 5, true, new RandomStream(42, 2 ** 32 - 100));
    expectBitIdentical(a.y, b.y, 'y');
    expectBitIdentical(a.grad, b.grad, 'dx');
  });

  it.each(['Dropout', 'SpatialDropout2D'])('%s is the identity, drawing nothing, at inference and at rate 0', (cls) => {
    for (const [rate, training] of [[0.5, false], [0, true]] as const) {
      const r = runLayer(wasm, L(cls, { rate }), [4, 4, 3], 3, training, new RandomStream(1));
      expect(r.drawn).toBe(0);
      expectBitIdentical(r.y, r.x, `y at rate ${rate}, training ${training}`);
      if (training) expectBitIdentical(r.grad, uniform(r.y.length, 6, -1, 1), 'dx = dy');
    }
  });
});

describe('models with dropout', () => {
  it('inference is the identity: reconstruct, encode and evaluate equal the rate-0 model bit for bit, a training forward does not', async () => {
    const active = new Autoencoder(wasm, arch(0.5, 0.5)).initialize(4);
    const identity = new Autoencoder(wasm, arch(0, 0)).initialize(4);
    const splits = await smallSplits(40, 20);
    const x = splits.test.images as Float32Array;
    expectBitIdentical(active.reconstruct(x), identity.reconstruct(x), 'reconstruct');
    expectBitIdentical(active.encode(x), identity.encode(x), 'encode');
    expect(evaluate(active, splits.test)).toEqual(evaluate(identity, splits.test));

    const outputs = [active, identity].map((m) => {
      const g = m.compile({ batch: 20, training: true, loss: 'mse' });
      wasm.heap.write(g.input.offset, x);
      g.forward({ kernels: wasm, training: true, noise: new RandomStream(7) }, 20);
      const code = get(wasm, g.code.offset, 20 * 32);
      g.release();
      return code;
    });
    const zeros = (v: Float64Array) => v.filter((c) => c === 0).length;
    expect(zeros(outputs[0]!)).toBeGreaterThan(zeros(outputs[1]!) + 100); // about half of 640 units dropped
    active.dispose();
    identity.dispose();
  });

  it('round-trips through a model file, and the browser entry reconstructs as the library does', async () => {
    // The baseline SIMD build on both sides: the browser's deterministic choice.
    const kernels = await createKernels({ deterministic: true });
    const model = new Autoencoder(kernels, arch(0.25, 0.125)).initialize(9);
    const bytes = encodeModel(model, TRAINING);
    const loaded = decodeModel(bytes, await createKernels({ deterministic: true }), 'dropout.safetensors').model;
    expect(loaded.architecture).toEqual(model.architecture);
    expect(loaded.architecture.parts['encoder']![4]).toEqual({ class_name: 'Dropout', config: { rate: 0.25 } });
    expect(loaded.architecture.parts['encoder']![1]).toEqual({ class_name: 'SpatialDropout2D', config: { rate: 0.125 } });
    const x = (await smallSplits(10, 6)).test.images as Float32Array;
    const want = model.reconstruct(x);
    expectBitIdentical(loaded.reconstruct(x), want, 'reloaded');
    const baseline = new Uint8Array(await readFile(path.join(import.meta.dirname, '../../build/kernels.wasm')));
    const browser = await loadInBrowser(bytes, { wasm: { 'kernels.wasm': baseline }, deterministic: true });
    try {
      expectBitIdentical(await browser.reconstruct(x), want, 'browser');
    } finally {
      browser.dispose();
    }
    model.dispose();
    loaded.dispose();
  });
});
