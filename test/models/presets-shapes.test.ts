// Presets on any input shape: the 28x28x1 records unchanged; each preset builds on image
// and table shapes, gives the input shape back, and takes a training step with WASM and
// the JS spec in agreement; sizes that cannot come back are ShapeErrors naming the nearest
// that do; custom records are validated; the summary shows the real shapes.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ArgumentError, FormatError, ShapeError } from '../../src/errors.js';
import type { Kernels } from '../../src/kernels/kernels.js';
import { Autoencoder } from '../../src/models/autoencoder.js';
import { architectureFromJson } from '../../src/models/custom-architecture.js';
import { PRESET_NAMES, PRESETS, presetArchitecture, presetDefaults } from '../../src/models/presets.js';
import { summaryText } from '../../src/models/summary.js';
import { RandomStream } from '../../src/random/streams.js';
import { Adam } from '../../src/train/optimizers.js';
import { train } from '../../src/train/trainer.js';
import { jsKernels, maxAbsDiff, uniform, wasmKernels } from '../helpers.js';

const RECORDS = JSON.parse(readFileSync(new URL('./preset-records-28x28x1.json', import.meta.url), 'utf8')) as Record<string, unknown>;

const IMAGE_SHAPES = [[28, 28, 1], [32, 32, 3], [64, 64, 3], [16, 12, 1], [30, 30, 3]];
const DENSE_FAMILY = ['dense', 'linear', 'deep', 'deep-bn', 'vae', 'cvae'];
/** The combinations that fit; conv needs sides divisible by 4, so not 30x30. */
const CASES: [string, number[]][] = PRESET_NAMES.flatMap((name) =>
  [...IMAGE_SHAPES, [13]]
    .filter((s) => (DENSE_FAMILY.includes(name) ? true : s.length === 3 && !(name === 'conv' && s[0] === 30)))
    .map((s): [string, number[]] => [name, s]),
);

/** One Adam step on 4 random samples in [0, 1]; returns the loss and the weights after it. */
function step(kernels: Kernels, name: string, shape: number[]): { loss: number; out: Float32Array; weights: Float32Array[] } {
  const model = new Autoencoder(kernels, presetArchitecture(name, { inputShape: shape })).initialize(3);
  try {
    const size = shape.reduce((a, b) => a * b, 1);
    const x = Float32Array.from(uniform(4 * size, 9, 0, 1));
    // A labelled preset reads one label per sample: classes 0, 3, 6, 9 of its 10 (cvae in its
    // forward pass, ae-classifier in its loss only).
    const labels = model.labelCount !== null ? [0, 3, 6, 9] : undefined;
    const out = model.reconstruct(x, model.readsLabels ? labels : undefined);
    const d = presetDefaults(name);
    model.params.ensureTraining(new Adam().slots);
    const g = model.compile({ batch: 4, training: true, loss: d.loss });
    try {
      kernels.heap.write(g.target.offset, x);
      if (g.label) kernels.heap.write(g.label.offset, Float32Array.from({ length: 40 }, (_, i) => (i % 10 === labels![Math.floor(i / 10)] ? 1 : 0)));
      const ctx = { kernels, training: true, noise: new RandomStream(7) };
      g.forward(ctx, 4);
      const loss = g.loss(4);
      g.backward(ctx, 4);
      new Adam().step(kernels, model.params.trainable);
      return { loss, out, weights: model.params.list.map((p) => model.params.read(p)) };
    } finally {
      g.release();
    }
  } finally {
    model.dispose();
  }
}

describe('presets on 28x28x1', () => {
  it.each(Object.keys(RECORDS))('%s gives exactly the record it always gave', (key) => {
    const [name, latent] = key.split('@latent=');
    const arch = latent === undefined ? presetArchitecture(name!) : presetArchitecture(name!, Number(latent));
    expect(JSON.stringify(arch)).toBe(JSON.stringify(RECORDS[key]));
    // The options form with the default shape is the same record.
    expect(JSON.stringify(presetArchitecture(name!, { inputShape: [28, 28, 1], ...(latent ? { latent: Number(latent) } : {}) }))).toBe(JSON.stringify(RECORDS[key]));
  });
});

describe('presets on other shapes', () => {
  it.each(CASES)('%s on %j builds, gives the shape back and trains one step alike on WASM and JS', async (name, shape) => {
    const arch = presetArchitecture(name, { inputShape: shape });
    expect(arch.input_shape).toEqual(shape);
    const wasm = step(await wasmKernels(), name, shape);
    const js = step(jsKernels(), name, shape);
    expect(Number.isFinite(wasm.loss)).toBe(true);
    expect(Math.abs(wasm.loss - js.loss)).toBeLessThan(1e-4 * Math.abs(js.loss) + 1e-6);
    expect(maxAbsDiff(wasm.out, js.out)).toBeLessThan(1e-5);
    wasm.weights.forEach((w, i) => {
      expect(w.every(Number.isFinite)).toBe(true);
      // Adam's first step moves a weight by lr g / (|g| + eps), about 1e-3 for any gradient
      // well above eps: rounding shows only where g is eps-sized. 1e-4 is a tenth of a step.
      expect(maxAbsDiff(w, js.weights[i]!), `${name} param ${i}`).toBeLessThan(1e-4);
    });
    const model = new Autoencoder(jsKernels(), arch);
    expect(model.outputShape).toEqual(shape);
    model.dispose();
  });

  it('the last conv has C filters and the output follows the option', () => {
    const conv = presetArchitecture('conv', { inputShape: [32, 32, 3], output: 'linear' });
    expect(conv.parts.decoder.at(-1)!.config).toMatchObject({ filters: 3, activation: 'linear' });
    const dense = presetArchitecture('dense', { inputShape: [13], output: 'linear' });
    expect(dense.parts.decoder).toEqual([{ class_name: 'Dense', config: { units: 13, activation: 'linear' } }, { class_name: 'Reshape', config: { target_shape: [13] } }]);
    expect(PRESETS['conv']!.outputs).toEqual({ sigmoid: { loss: 'bce', noise: 0.2 }, linear: { loss: 'mse', noise: 0.2 } });
    expect(presetDefaults('vae', 'linear').loss).toBe('mse');
    // A 13-feature table gets a code narrower than itself by default.
    expect(dense.parts.encoder[1]!.config['units']).toBe(6);
    expect(() => presetArchitecture('dense', { output: 'tanh' as never })).toThrow(ArgumentError);
  });

  it('deep-conv crops with a valid conv of the size the input needs', () => {
    const crop = (s: number[]) => presetArchitecture('deep-conv', { inputShape: s }).parts.decoder[4]!.config;
    expect(crop([28, 28, 1])).toMatchObject({ kernel_size: [3, 3], padding: 'valid' });
    expect(crop([32, 32, 3])).toMatchObject({ kernel_size: [3, 3], padding: 'same' });
    expect(crop([16, 12, 1])).toMatchObject({ kernel_size: [1, 3], padding: 'valid' });
    expect(crop([30, 30, 3])).toMatchObject({ kernel_size: [2, 2], padding: 'valid' });
  });

  it('sizes that cannot come back are ShapeErrors naming the nearest that do', () => {
    expect(() => presetArchitecture('conv', { inputShape: [30, 30, 3] })).toThrow(ShapeError);
    expect(() => presetArchitecture('conv', { inputShape: [30, 32, 3] })).toThrow(
      'preset conv on input [30, 32, 3]: the decoder would output [32, 32, 3]; conv needs height and width divisible by 4 (two stride-2 convolutions, undone by two stride-2 transposed ones); height 30 (nearest: 28 or 32)',
    );
    expect(() => presetArchitecture('deep-conv', { inputShape: [13, 12, 1] })).toThrow(/decoder would output \[14, 12, 1\]; deep-conv needs even height and width .*; height 13 \(nearest: 12 or 14\)$/);
    expect(() => presetArchitecture('conv', { inputShape: [1, 4, 1] })).toThrow(/height 1 \(nearest: 4\)$/);
    for (const name of ['conv', 'deep-conv']) {
      expect(() => presetArchitecture(name, { inputShape: [13] })).toThrow(`preset ${name} needs images [height, width, channels], got input shape [13] (a table of 13 features; the dense presets (dense, linear, deep, vae) take tables)`);
      expect(() => presetArchitecture(name, { inputShape: [28, 28] })).toThrow(/use \[28, 28, 1\]/);
    }
    expect(() => presetArchitecture('dense', { inputShape: [0, 3] })).toThrow(ShapeError);
    expect(() => presetArchitecture('dense', { inputShape: [2.5] })).toThrow(/positive integers, got \[2.5\]/);
  });

  it('conv on 32x32x3 colour blobs: the loss falls over a few epochs', async () => {
    const n = 192;
    const images = new Float32Array(n * 32 * 32 * 3);
    const r = uniform(n * 8, 21, 0, 1);
    for (let i = 0; i < n; i++) {
      // Two smooth Gaussian blobs of random colour and place per image.
      for (let b = 0; b < 2; b++) {
        const cy = 4 + 24 * r[i * 8 + b * 4]!;
        const cx = 4 + 24 * r[i * 8 + b * 4 + 1]!;
        const hue = r[i * 8 + b * 4 + 2]!;
        const colour = [hue, 1 - hue, r[i * 8 + b * 4 + 3]!];
        for (let y = 0; y < 32; y++) {
          for (let x = 0; x < 32; x++) {
            const w = Math.exp(-((y - cy) ** 2 + (x - cx) ** 2) / 40);
            for (let c = 0; c < 3; c++) {
              const k = ((i * 32 + y) * 32 + x) * 3 + c;
              images[k] = Math.min(1, images[k]! + 0.9 * w * colour[c]!);
            }
          }
        }
      }
    }
    const ds = (start: number, count: number) => ({ images: images.subarray(start * 3072, (start + count) * 3072), labels: new Uint8Array(count), n: count, shape: [32, 32, 3] });
    const model = new Autoencoder(await wasmKernels(), presetArchitecture('conv', { inputShape: [32, 32, 3] })).initialize(1);
    const h = await train(model, { train: ds(0, 160), test: ds(160, 32), source: 'blobs' }, { epochs: 4, batchSize: 16, seed: 1, loss: 'bce', noise: 0 });
    const first = h.epochs[0]!;
    const last = h.epochs.at(-1)!;
    expect(last.loss).toBeLessThan(first.loss * 0.9);
    expect(last.test_mse).toBeLessThan(first.test_mse);
    model.dispose();
  });
});

describe('custom architectures', () => {
  const conv = presetArchitecture('conv', { inputShape: [16, 12, 3] });

  it('a valid record comes back as it is', () => {
    expect(architectureFromJson(JSON.stringify(conv), 'arch.json')).toEqual(conv);
  });

  it('errors name the source, the part and the layer index', () => {
    const bad = structuredClone(conv);
    bad.parts.decoder[2]!.config['filters'] = 1;
    expect(() => architectureFromJson(JSON.stringify(bad), 'arch.json')).toThrow(
      'arch.json: decoder layer 2 (Conv2D) outputs [16, 12, 1] but input_shape is [16, 12, 3]; the decoder must give back the input shape',
    );
    const units = structuredClone(conv);
    units.parts.encoder[1]!.config['filters'] = -2;
    expect(() => architectureFromJson(JSON.stringify(units), 'arch.json')).toThrow(FormatError);
    expect(() => architectureFromJson(JSON.stringify(units), 'arch.json')).toThrow(/^arch\.json: encoder layer 1 \(Conv2D\): filters must be a positive integer, got -2$/);
    const shape = structuredClone(conv);
    shape.parts.encoder.unshift({ class_name: 'Flatten', config: {} });
    expect(() => architectureFromJson(JSON.stringify(shape), 'arch.json')).toThrow(/^arch\.json: encoder layer 1 \(Conv2D\) on input \[576\]/);
    expect(() => architectureFromJson(JSON.stringify({ ...conv, input_shpe: [1] }), 'arch.json')).toThrow('arch.json: architecture has unknown key "input_shpe"; expected kind, input_shape, parts');
    expect(() => architectureFromJson('{"kind": ', 'arch.json')).toThrow(/^arch\.json: the architecture is not valid JSON/);
    expect(() => architectureFromJson('['.repeat(100), 'arch.json')).toThrow(/nests deeper than 64 levels/);
    const vae = presetArchitecture('vae', { inputShape: [13] });
    vae.parts.z_log_var![0]!.config['units'] = 3;
    expect(() => architectureFromJson(JSON.stringify(vae), 'v.json')).toThrow('v.json: z_log_var layer 0 (Dense) outputs [3] but z_mean outputs [2]; the two heads must match');
    const reshaped = structuredClone(conv);
    reshaped.parts.decoder.push({ class_name: 'Reshape', config: { target_shape: [12, 16, 3] } });
    expect(() => architectureFromJson(JSON.stringify(reshaped), 'arch.json')).toThrow(/decoder layer 3 \(Reshape\) outputs \[12, 16, 3\]/);
  });
});

describe('summary', () => {
  it('shows the input row and every layer shape for the real input, with the totals', () => {
    const model = new Autoencoder(jsKernels(), presetArchitecture('conv', { inputShape: [32, 32, 3] }));
    const text = summaryText(model, 'conv');
    expect(text).toMatch(/input \(InputLayer\)\s+\(None, 32, 32, 3\)\s+0\n/);
    expect(text).toMatch(/encoder\.0 \(Conv2D\)\s+\(None, 16, 16, 16\)\s+448\n/);
    expect(text).toMatch(/encoder\.1 \(Conv2D\)\s+\(None, 8, 8, 8\)\s+1,160\n/);
    expect(text).toMatch(/decoder\.2 \(Conv2D\)\s+\(None, 32, 32, 3\)\s+435\n/);
    const count = model.params.count.toLocaleString('en-US');
    expect(text).toContain(`Total params: ${count} (`);
    expect(text).toContain(`Trainable params: ${count} (`);
    expect(text).toContain('Non-trainable params: 0 (0 B)');
    model.dispose();
  });
});

describe('the library entry', () => {
  it('createModel passes inputShape and output to the preset', async () => {
    const { createModel, presets } = await import('../../src/index.js');
    const model = await createModel('conv', { inputShape: [32, 32, 3], output: 'linear', kernels: jsKernels() });
    try {
      expect(model.inputShape).toEqual([32, 32, 3]);
      expect(model.architecture).toEqual(presetArchitecture('conv', { inputShape: [32, 32, 3], output: 'linear' }));
      expect(presets.defaults('conv', 'linear').loss).toBe('mse');
    } finally {
      model.dispose();
    }
  });
});
