// Architecture records with the new activations, end to end on the WASM backend: the
// record validates, trains on the bundled digits (the loss falls), and round-trips
// through the model file with its activation names (swish stays swish), the ELU layer's
// alpha and its weights bit for bit, reconstructing identically after loading.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ACTIVATION_NAMES } from '../../src/nn/activations.js';
import { LAYER_CLASSES } from '../../src/nn/registry.js';
import { ArgumentError, FormatError } from '../../src/errors.js';
import { Autoencoder } from '../../src/models/autoencoder.js';
import { architectureFromJson } from '../../src/models/custom-architecture.js';
import { decodeModel, encodeModel } from '../../src/models/model-file.js';
import { train } from '../../src/train/trainer.js';
import { expectBitIdentical, wasmKernels } from '../helpers.js';
import { trainingRecord } from '../models/model-fixtures.js';
import { smallSplits } from '../train/fixtures.js';

const DENSE = {
  kind: 'autoencoder',
  input_shape: [28, 28, 1],
  parts: {
    encoder: [
      { class_name: 'Flatten', config: {} },
      { class_name: 'Dense', config: { units: 128, activation: 'gelu' } },
      { class_name: 'Dense', config: { units: 32, activation: 'selu' } },
    ],
    decoder: [
      { class_name: 'Dense', config: { units: 128, activation: 'swish' } },
      { class_name: 'Dense', config: { units: 128 } },
      { class_name: 'ELU', config: { alpha: 0.5 } },
      { class_name: 'Dense', config: { units: 784, activation: 'sigmoid' } },
      { class_name: 'Reshape', config: { target_shape: [28, 28, 1] } },
    ],
  },
};

const CONV = {
  kind: 'autoencoder',
  input_shape: [28, 28, 1],
  parts: {
    encoder: [
      { class_name: 'Conv2D', config: { filters: 8, kernel_size: [3, 3], strides: [2, 2], padding: 'same', activation: 'gelu_approximate' } },
      { class_name: 'Conv2D', config: { filters: 4, kernel_size: [3, 3], strides: [2, 2], padding: 'same', activation: 'elu' } },
    ],
    decoder: [
      { class_name: 'Conv2DTranspose', config: { filters: 4, kernel_size: [3, 3], strides: [2, 2], padding: 'same', activation: 'silu' } },
      { class_name: 'Conv2DTranspose', config: { filters: 8, kernel_size: [3, 3], strides: [2, 2], padding: 'same', activation: 'softplus' } },
      { class_name: 'Conv2D', config: { filters: 1, kernel_size: [3, 3], padding: 'same', activation: 'sigmoid' } },
    ],
  },
};

describe('architecture records with the new activations', () => {
  it.each([['dense (gelu, selu, swish, ELU layer)', DENSE], ['conv (gelu_approximate, elu, silu, softplus)', CONV]])(
    '%s: loads, trains (loss falls), round-trips through the model file',
    async (_name, record) => {
      const arch = architectureFromJson(JSON.stringify(record), 'arch.json');
      const splits = await smallSplits(512, 64);
      const kernels = await wasmKernels();
      const model = new Autoencoder(kernels, arch).initialize(3);
      const h = await train(model, splits, { epochs: 3, batchSize: 32, seed: 3 });
      const first = h.epochs[0]!;
      const last = h.epochs[h.epochs.length - 1]!;
      expect(Number.isFinite(last.loss)).toBe(true);
      expect(last.loss).toBeLessThan(first.loss * 0.9);
      expect(last.test_mse).toBeLessThan(first.test_mse);

      const bytes = encodeModel(model, trainingRecord('custom'));
      const loaded = decodeModel(bytes, await wasmKernels(), 'model.safetensors').model;
      expect(loaded.architecture).toEqual(model.architecture);
      expect(JSON.stringify(loaded.architecture)).toContain(record === DENSE ? '"swish"' : '"gelu_approximate"');
      model.params.list.forEach((p, i) => expectBitIdentical(loaded.params.read(loaded.params.list[i]!), model.params.read(p), p.name));
      const x = splits.test.images.slice(0, 8 * 784);
      expectBitIdentical(loaded.reconstruct(x), model.reconstruct(x), 'reconstruct');
      model.dispose();
      loaded.dispose();
    },
  );

  it('rejects unknown activation names and a negative ELU alpha, naming the layer', () => {
    const bad = structuredClone(DENSE);
    bad.parts.encoder[1]!.config = { units: 8, activation: 'gelu_tanh' };
    expect(() => architectureFromJson(JSON.stringify(bad), 'arch.json')).toThrow(/unknown activation "gelu_tanh"; expected one of .*gelu_approximate.*swish/);
    const elu = structuredClone(DENSE);
    elu.parts.decoder[2]!.config = { alpha: -1 };
    expect(() => architectureFromJson(JSON.stringify(elu), 'arch.json')).toThrow(/ELU.*alpha must be a finite number >= 0, got -1/);
    const extra = structuredClone(DENSE);
    (extra.parts.decoder[2]!.config as Record<string, unknown>) = { alpha: 1, approximate: true };
    expect(() => architectureFromJson(JSON.stringify(extra), 'arch.json')).toThrow(/approximate/);
    for (const r of [bad, elu, extra]) {
      try {
        architectureFromJson(JSON.stringify(r), 'arch.json');
      } catch (err) {
        expect(err instanceof FormatError || err instanceof ArgumentError).toBe(true);
      }
    }
  });
});

describe('README "Layers and activations"', () => {
  it('lists every layer class and every activation name', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('### Layers and activations'), readme.indexOf('## Safety'));
    const rows = section.split('\n').filter((l) => l.startsWith('| `')).map((l) => l.split('|')[1]!);
    const listed = new Set(rows.flatMap((cell) => [...cell.matchAll(/`([A-Za-z0-9_]+)`/g)].map((m) => m[1]!)));
    expect(Object.keys(LAYER_CLASSES).filter((c) => !listed.has(c))).toEqual([]);
    expect(ACTIVATION_NAMES.filter((a) => !listed.has(a))).toEqual([]);
  });
});
