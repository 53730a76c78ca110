// The conditional VAE preset: its record (vae's layers, the label one-hot beside the
// flattened input and beside z), decode / sample with labels (typed errors without them),
// WASM and the JS spec in agreement, and on the bundled digits the label steers the
// samples: each class's samples sit nearest to that class's mean test digit.
import { beforeAll, describe, expect, it } from 'vitest';
import { ArgumentError, DataError, ShapeError } from '../../src/errors.js';
import type { Kernels } from '../../src/kernels/kernels.js';
import { Autoencoder } from '../../src/models/autoencoder.js';
import { PRESETS, presetArchitecture } from '../../src/models/presets.js';
import { train } from '../../src/train/trainer.js';
import { jsKernels, maxAbsDiff, wasmKernels } from '../helpers.js';
import { smallSplits } from '../train/fixtures.js';

describe('preset cvae', () => {
  it('is vae with the label concatenated to the flattened input and to z, built for a class count', () => {
    const arch = presetArchitecture('cvae', { labels: 3, inputShape: [13], latent: 4 });
    expect(arch.kind).toBe('vae');
    expect(Object.keys(arch.parts)).toEqual(['flatten', 'encoder', 'z_mean', 'z_log_var', 'decoder']);
    expect(arch.parts.encoder).toEqual([{ class_name: 'Dense', config: { units: 512, activation: 'relu' } }]);
    expect(arch.parts.z_mean![0]!.config['units']).toBe(4);
    expect(arch.graph!.labels).toBe(3);
    expect(arch.graph!.inputs['encoder']).toEqual({ concat: ['flatten', 'label'] });
    expect(arch.graph!.inputs['decoder']).toEqual({ concat: [{ sample: ['z_mean', 'z_log_var'] }, 'label'] });
    expect(arch.graph!.losses.map((t) => [t.kind, t.weight, t.reduction])).toEqual([['bce', 1, 'sum'], ['kl', 1, undefined]]);
    const model = new Autoencoder(jsKernels(), arch);
    expect(model.params.list.map((p) => `${p.name} ${p.shape.join('x')}`)).toEqual([
      'encoder.0.kernel 16x512', 'encoder.0.bias 512', 'z_mean.0.kernel 512x4', 'z_mean.0.bias 4',
      'z_log_var.0.kernel 512x4', 'z_log_var.0.bias 4', 'decoder.0.kernel 7x512', 'decoder.0.bias 512', 'decoder.1.kernel 512x13', 'decoder.1.bias 13',
    ]);
    model.dispose();
    // Default: the bundled digits' 10 classes on 28 x 28 x 1, latent 2; a linear output and the loss options change the terms.
    expect(presetArchitecture('cvae').graph!.labels).toBe(10);
    expect(presetArchitecture('cvae', { output: 'linear', beta: 0.5 }).graph!.losses.map((t) => [t.kind, t.weight])).toEqual([['mse', 1], ['kl', 0.5]]);
    expect(presetArchitecture('cvae', { loss: 'mse' }).graph!.losses[0]!.kind).toBe('mse');
    expect(PRESETS['cvae']!.labelled).toBe(true);
    expect(PRESETS['vae']!.labelled).toBe(false);
  });

  it('refuses bad class counts, and label options on presets that read no label', () => {
    expect(() => presetArchitecture('cvae', { labels: 0 })).toThrow(ArgumentError);
    expect(() => presetArchitecture('cvae', { labels: 2.5 })).toThrow(/preset cvae: labels must be an integer in 1\.\.1024 \(the data's class count\), got 2\.5/);
    expect(() => presetArchitecture('cvae', { beta: -1 })).toThrow(/beta must be a finite number >= 0, got -1/);
    expect(() => presetArchitecture('vae', { labels: 10 })).toThrow(/preset vae reads no labels and takes its loss from the trainer; labels apply to the labelled presets \(ae-classifier, cvae\)/);
  });
});

describe('decode and sample with labels', () => {
  const make = (kernels: Kernels = jsKernels()) => new Autoencoder(kernels, presetArchitecture('cvae', { labels: 4, inputShape: [6], latent: 2 })).initialize(3);

  it('sample(n, seed, labels) decodes the prior codes with those labels; the label changes the image', () => {
    const model = make();
    const z = model.priorCodes(3, 9);
    expect(Array.from(model.sample(3, 9, [0, 1, 3]))).toEqual(Array.from(model.decode(z, [0, 1, 3])));
    const a = model.sample(3, 9, [2, 2, 2]);
    const b = model.sample(3, 9, [1, 2, 0]);
    // Same z, same label in the middle: the same image; other labels: other images.
    expect(Array.from(a.subarray(6, 12))).toEqual(Array.from(b.subarray(6, 12)));
    expect(maxAbsDiff(a.subarray(0, 6), b.subarray(0, 6))).toBeGreaterThan(1e-4);
    expect(maxAbsDiff(a.subarray(12), b.subarray(12))).toBeGreaterThan(1e-4);
    // Codes written through decode are the ones reconstruct decodes: reconstruct = decode(encode).
    const x = Float32Array.from({ length: 12 }, (_, i) => (i % 5) / 5);
    expect(Array.from(model.reconstruct(x, [1, 3]))).toEqual(Array.from(model.decode(model.encode(x, [1, 3]), [1, 3])));
    model.dispose();
  });

  it('labels missing, of the wrong count, out of range or on a model without them are typed errors', async () => {
    const model = make();
    expect(() => model.sample(2, 1)).toThrow(ShapeError);
    expect(() => model.sample(2, 1)).toThrow(/this model's decoder reads the label: pass one label per sample \(2 in 0\.\.3\)/);
    expect(() => model.decode(new Float32Array(4), [1])).toThrow(/labels: 1 labels for 2 codes/);
    expect(() => model.decode(new Float32Array(2), [4])).toThrow(DataError);
    expect(() => model.decode(new Float32Array(2), [-1])).toThrow(/labels: label -1 at index 0 is outside 0\.\.3/);
    expect(() => model.sample(0, 1, [])).toThrow(/sample: n must be a positive integer, got 0/);
    const vae = new Autoencoder(jsKernels(), presetArchitecture('vae', { inputShape: [6], latent: 2 })).initialize(1);
    expect(() => vae.sample(1, 1, [0])).toThrow(/labels given, but this model's decoder does not read them/);
    expect(vae.sample(2, 1)).toHaveLength(12);
    vae.dispose();
    model.dispose();
  });

  it('WASM and the JS spec decode alike', async () => {
    const js = make();
    const wasm = make(await wasmKernels());
    const labels = [0, 3, 1, 2, 3];
    expect(maxAbsDiff(wasm.sample(5, 4, labels), js.sample(5, 4, labels))).toBeLessThan(1e-5);
    js.dispose();
    wasm.dispose();
  });
});

describe('cvae on the bundled digits', () => {
  let model: Autoencoder;
  let means: Float64Array;
  beforeAll(async () => {
    const splits = await smallSplits(3000, 500);
    model = new Autoencoder(await wasmKernels(), presetArchitecture('cvae')).initialize(1);
    await train(model, splits, { epochs: 4, batchSize: 32, loss: 'bce', seed: 1, evaluateTest: false });
    // The mean test digit of each class.
    means = new Float64Array(10 * 784);
    const counts = new Float64Array(10);
    for (let i = 0; i < splits.test.n; i++) {
      const c = splits.test.labels[i]!;
      counts[c]!++;
      for (let p = 0; p < 784; p++) means[c * 784 + p]! += splits.test.images[i * 784 + p]!;
    }
    for (let c = 0; c < 10; c++) for (let p = 0; p < 784; p++) means[c * 784 + p]! /= counts[c]!;
  });

  it('the label steers the samples: each class\'s samples sit nearest to that class\'s mean digit', () => {
    const n = 20;
    const nearest = (img: Float32Array) => {
      let best = -1;
      let bestD = Infinity;
      for (let c = 0; c < 10; c++) {
        let d = 0;
        for (let p = 0; p < 784; p++) d += (img[p]! - means[c * 784 + p]!) ** 2;
        if (d < bestD) [best, bestD] = [c, d];
      }
      return best;
    };
    let hits = 0;
    for (let digit = 0; digit < 10; digit++) {
      const images = model.sample(n, 7, new Array(n).fill(digit));
      for (let i = 0; i < n; i++) if (nearest(images.subarray(i * 784, (i + 1) * 784)) === digit) hits++;
    }
    // Chance is 10%; an unconditioned decoder cannot choose the class.
    expect(hits / (10 * n)).toBeGreaterThan(0.6);
  });
});
