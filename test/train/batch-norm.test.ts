// BatchNormalization in whole models: moving statistics are non-trainable state (no
// gradient, no optimizer slots, untouched by the optimizer) updated from the batch by
// Keras' rule after each accepted step, saved in model files and checkpoints; inference
// uses them; training with it is identical on 1 and 2 threads and across a resume; a
// deep model with it learns the digits.
import { describe, expect, it } from 'vitest';
import { ArgumentError, DivergenceError, FormatError } from '../../src/errors.js';
import type { Architecture } from '../../src/models/architecture.js';
import { Autoencoder } from '../../src/models/autoencoder.js';
import { decodeModel, encodeModel, type TrainingRecord } from '../../src/models/model-file.js';
import type { LayerSpec } from '../../src/nn/layer.js';
import { presetArchitecture } from '../../src/models/presets.js';
import { architectureSummaryText, summaryText } from '../../src/models/summary.js';
import { RandomStream } from '../../src/random/streams.js';
import { checkpointFromState, optimizerFromRecord, stateFromCheckpoint } from '../../src/train/checkpoint.js';
import { Adam, SGD } from '../../src/train/optimizers.js';
import { planStep, releaseStep, trainStep } from '../../src/train/step.js';
import { train, type TrainOptions } from '../../src/train/trainer.js';
import { encodeSafetensors, decodeSafetensors } from '../../src/io/safetensors.js';
import { expectClose, jsKernels, uniform, wasmKernels } from '../helpers.js';
import { smallSplits } from './fixtures.js';
import { expectThreadIdentical, weightBits } from './thread-identity.js';

const L = (class_name: string, config: Record<string, unknown> = {}): LayerSpec => ({ class_name, config });
const BN = (config: Record<string, unknown> = {}) => L('BatchNormalization', config);

/** deep's layers with BatchNormalization after each hidden Dense but the code. */
const DEEP_BN: Architecture = {
  kind: 'autoencoder',
  input_shape: [28, 28, 1],
  parts: {
    encoder: [L('Flatten'), L('Dense', { units: 64, activation: 'relu' }), BN(), L('Dense', { units: 32, activation: 'relu' }), BN(), L('Dense', { units: 16, activation: 'relu' })],
    decoder: [L('Dense', { units: 32, activation: 'relu' }), BN(), L('Dense', { units: 64, activation: 'relu' }), BN(), L('Dense', { units: 784, activation: 'sigmoid' }), L('Reshape', { target_shape: [28, 28, 1] })],
  },
};

/** conv with BatchNormalization per channel after each Conv2D / Conv2DTranspose but the last. */
const CONV_BN: Architecture = {
  kind: 'autoencoder',
  input_shape: [28, 28, 1],
  parts: {
    encoder: [L('Conv2D', { filters: 16, kernel_size: 3, strides: 2, padding: 'same', activation: 'relu' }), BN(), L('Conv2D', { filters: 8, kernel_size: 3, strides: 2, padding: 'same', activation: 'relu' }), BN()],
    decoder: [
      L('Conv2DTranspose', { filters: 8, kernel_size: 3, strides: 2, padding: 'same', activation: 'relu' }), BN({ center: false }),
      L('Conv2DTranspose', { filters: 16, kernel_size: 3, strides: 2, padding: 'same', activation: 'relu' }), BN({ scale: false }),
      L('Conv2D', { filters: 1, kernel_size: 3, padding: 'same', activation: 'sigmoid' }),
    ],
  },
};

const bits = weightBits;

function read(model: Autoencoder, name: string): Float32Array {
  return model.params.read(model.params.get(name)!).slice();
}

describe('BatchNormalization: config', () => {
  it("writes Keras' config and weight names, in Keras' order, and refuses what it does not compute", () => {
    const kernels = jsKernels();
    const model = new Autoencoder(kernels, DEEP_BN);
    expect(model.params.list.filter((p) => p.name.startsWith('encoder.2.')).map((p) => [p.name, p.shape, p.trainable])).toEqual([
      ['encoder.2.gamma', [64], true], ['encoder.2.beta', [64], true], ['encoder.2.moving_mean', [64], false], ['encoder.2.moving_variance', [64], false],
    ]);
    expect(model.encoder.layers[2]!.spec()).toEqual({ class_name: 'BatchNormalization', config: { axis: -1, momentum: 0.99, epsilon: 0.001, center: true, scale: true } });
    model.dispose();
    const arch = (bn: LayerSpec): Architecture => ({ kind: 'autoencoder', input_shape: [4, 4, 2], parts: { encoder: [bn], decoder: [BN()] } });
    // Keras / tf.keras spellings of the last axis load; any other axis is refused, naming the layer.
    for (const axis of [-1, 3, [3], [-1]]) new Autoencoder(kernels, arch(BN({ axis, gamma_initializer: { class_name: 'Ones', config: {} }, beta_regularizer: null, synchronized: false }))).dispose();
    for (const [config, message] of [
      [{ axis: 1 }, /encoder layer 0 \(BatchNormalization\): axis must be -1 .* got 1 \(only the last axis/],
      [{ axis: [1, 2] }, /axis must be -1/],
      [{ momentum: 1.5 }, /momentum must be in \[0, 1\], got 1.5/],
      [{ epsilon: 0 }, /epsilon must be > 0, got 0/],
      [{ gamma_initializer: 'zeros' }, /gamma_initializer must be "ones"/],
      [{ gamma_regularizer: { class_name: 'L2' } }, /gamma_regularizer must be null/],
      [{ renorm: true }, /unknown config key "renorm"/],
    ] as const) {
      expect(() => new Autoencoder(kernels, arch(BN(config as Record<string, unknown>))), JSON.stringify(config)).toThrow(ArgumentError);
      expect(() => new Autoencoder(kernels, arch(BN(config as Record<string, unknown>)))).toThrow(message);
    }
  });
});

describe('BatchNormalization: summary', () => {
  it('counts the moving statistics as non-trainable, from the model and from the dry-run plan alike', () => {
    const model = new Autoencoder(jsKernels(), presetArchitecture('deep-bn'));
    const text = summaryText(model, 'deep-bn');
    expect(text).toMatch(/encoder\.2 \(BatchNormalization\)\s+\(None, 256\)\s+1,024\n/);
    // 2 x (256 + 128 + 128 + 256) moving values.
    expect(text).toContain(`Trainable params: ${(model.params.count - 1536).toLocaleString('en-US')} (`);
    expect(text).toContain('Non-trainable params: 1,536 (6.00 KB)');
    expect(architectureSummaryText(presetArchitecture('deep-bn'), 'deep-bn')).toBe(text);
    model.dispose();
  });
});

describe('BatchNormalization: moving statistics', () => {
  /** BatchNormalization right after Flatten: its batch statistics are the data's. */
  const FIRST: Architecture = {
    kind: 'autoencoder',
    input_shape: [3],
    parts: { encoder: [BN()], decoder: [L('Dense', { units: 3, activation: 'linear' })] },
  };

  it('are non-trainable: no gradient or slots; one step folds the biased batch variance in with momentum 0.99', async () => {
    for (const kernels of [jsKernels('f64'), await wasmKernels()]) {
      const model = new Autoencoder(kernels, FIRST).initialize(1);
      const rows = 5;
      const x = uniform(rows * 3, 17, -2, 3);
      const data = { n: rows, shape: [3], images: Float32Array.from(x), labels: new Uint8Array(rows) };
      const optimizer = new Adam({ learningRate: 0.1 });
      const plan = planStep(model, data, { batch: rows, loss: 'mse', noise: 0, optimizer, noiseStream: new RandomStream(1) });
      const moving = model.params.list.filter((p) => !p.trainable);
      expect(moving.map((p) => [p.name, p.grad, p.slots.size])).toEqual([['encoder.0.moving_mean', -1, 0], ['encoder.0.moving_variance', -1, 0]]);
      expect(plan.params.map((p) => p.name)).toEqual(['encoder.0.gamma', 'encoder.0.beta', 'decoder.0.kernel', 'decoder.0.bias']);
      const gammaBefore = read(model, 'encoder.0.gamma');
      trainStep(plan, Uint32Array.from([0, 1, 2, 3, 4]), 0, rows);
      const xs = Float64Array.from(Float32Array.from(x));
      const mean = [0, 1, 2].map((c) => [0, 1, 2, 3, 4].reduce((s, r) => s + xs[r * 3 + c]!, 0) / rows);
      const variance = [0, 1, 2].map((c) => [0, 1, 2, 3, 4].reduce((s, r) => s + (xs[r * 3 + c]! - mean[c]!) ** 2, 0) / rows);
      expectClose(read(model, 'encoder.0.moving_mean'), mean.map((m) => 0.01 * m), 1e-7, 1e-5, `${kernels.build} moving mean`);
      expectClose(read(model, 'encoder.0.moving_variance'), variance.map((v) => 0.99 + 0.01 * v), 1e-7, 1e-5, `${kernels.build} moving variance`);
      // gamma is trained (its gradient is not zero through the Dense after it).
      expect(read(model, 'encoder.0.gamma')).not.toEqual(gammaBefore);
      releaseStep(plan);
      model.dispose();
    }
  });

  it('inference (encode, reconstruct) normalizes with the moving statistics, training with the batch', () => {
    const kernels = jsKernels('f64');
    const model = new Autoencoder(kernels, FIRST).initialize(1);
    const set = (name: string, v: number[]) => model.params.write(model.params.get(name)!, v);
    set('encoder.0.gamma', [2, 1, 0.5]);
    set('encoder.0.beta', [0.1, 0, -1]);
    set('encoder.0.moving_mean', [1, -2, 0]);
    set('encoder.0.moving_variance', [4, 0.25, 9]);
    const x = Float32Array.from([3, 1, 3, -1, -2, 0]);
    const want = [0, 1].flatMap((r) => [0, 1, 2].map((c) => {
      const g = [2, 1, 0.5][c]!, b = [0.1, 0, -1][c]!, m = [1, -2, 0][c]!, v = [4, 0.25, 9][c]!;
      return ((x[r * 3 + c]! - m) / Math.sqrt(v + 0.001)) * g + b;
    }));
    // encode returns float32.
    expectClose(model.encode(x), want, 1e-7, 1e-7, 'encode');
    // One sample at a time gives the same codes: inference does not depend on the batch.
    expectClose(model.encode(x.subarray(0, 3)), want.slice(0, 3), 1e-7, 1e-7, 'encode one');
    // A training-mode forward uses the batch: each column of the code has the batch mean beta.
    const g = model.compile({ batch: 2, training: false, loss: 'mse' });
    kernels.heap.write(g.target.offset, x);
    g.forwardEncoder({ kernels, training: true, noise: new RandomStream(0) }, 2);
    const code = kernels.heap.read(g.code.offset, 6);
    expectClose([0, 1, 2].map((c) => (code[c]! + code[3 + c]!) / 2), [0.1, 0, -1], 1e-7, 0, 'training-mode column means (read as float32)');
    g.release();
    model.dispose();
  });

  it('stay as they were when a step diverges (its update is not applied)', async () => {
    const splits = await smallSplits(160, 10);
    const kernels = await wasmKernels();
    const model = new Autoencoder(kernels, DEEP_BN).initialize(0);
    const kernel = model.params.get('encoder.1.kernel')!;
    let before: string[] | null = null;
    const err = await train(model, splits, {
      epochs: 1, batchSize: 32, progressIntervalMs: 0,
      callbacks: { onBatchEnd: (b) => { if (b.step === 2) { kernels.heap.data[kernel.value + 7] = NaN; before = bits(model); } } },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DivergenceError);
    const after = bits(model);
    const names = model.params.list.map((p) => p.name);
    const moving = names.flatMap((n, i) => (n.includes('moving') ? [i] : []));
    expect(moving.length).toBe(8);
    for (const i of moving) expect(after[i], names[i]).toBe(before![i]);
  });
});

describe('BatchNormalization: model files and checkpoints', () => {
  it('saves moving statistics as {part}.{i}.moving_*, without optimizer slots; a slot for one is refused', async () => {
    const kernels = await wasmKernels();
    const splits = await smallSplits(96, 10);
    const model = new Autoencoder(kernels, DEEP_BN).initialize(2);
    const optimizer = new SGD({ learningRate: 0.1, momentum: 0.9 });
    await train(model, splits, { epochs: 1, batchSize: 32, optimizer, evaluateTest: false });
    const record: TrainingRecord = { loss: 'mse', optimizer: optimizer.config(), noise: 0, l1: 0, beta: 1, seed: 2 };
    const bytes = encodeModel(model, record, { optimizerState: true });
    const { tensors, metadata } = decodeSafetensors(bytes, 'test');
    const names = [...tensors.keys()];
    expect(names.filter((n) => n.startsWith('decoder.1.'))).toEqual(['decoder.1.gamma', 'decoder.1.beta', 'decoder.1.moving_mean', 'decoder.1.moving_variance']);
    expect(names).toContain('optimizer.decoder.1.gamma.velocity');
    expect(names.filter((n) => n.startsWith('optimizer.') && n.includes('moving'))).toEqual([]);
    // Training moved them off their initial zeros and ones.
    expect(Array.from(tensors.get('decoder.1.moving_mean')!.data as Float32Array).some((v) => v !== 0)).toBe(true);
    const loaded = decodeModel(bytes, await wasmKernels(), 'ckpt');
    expect(bits(loaded.model)).toEqual(bits(model));
    expect(loaded.optimizerSlots).toEqual(['velocity']);
    // A file that gives a moving statistic optimizer state does not load.
    const entries = [...tensors].map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape, data: t.data }));
    entries.push({ name: 'optimizer.decoder.1.moving_mean.velocity', dtype: 'F32', shape: [32], data: new Float32Array(32) });
    const bad = encodeSafetensors(entries as never, metadata);
    expect(() => decodeModel(bad, jsKernels(), 'bad.safetensors')).toThrow(FormatError);
    expect(() => decodeModel(bad, jsKernels(), 'bad.safetensors')).toThrow(/bad.safetensors: tensor "optimizer.decoder.1.moving_mean.velocity" is optimizer state of decoder.1.moving_mean, which is not trainable/);
    model.dispose();
  });

  it('resume is bit-identical: 2 epochs = 1 epoch, checkpoint file, load, 1 more (moving statistics included)', async () => {
    const splits = await smallSplits(200, 20);
    const base: TrainOptions = { batchSize: 32, seed: 11, noise: 0, validationSplit: 0.2, evaluateTest: false, loss: 'mse' };
    const straight = new Autoencoder(await wasmKernels(), CONV_BN).initialize(11);
    const full = await train(straight, splits, { ...base, epochs: 2, optimizer: new Adam() });

    const first = new Autoencoder(await wasmKernels(), CONV_BN).initialize(11);
    const opt = new Adam();
    const h1 = await train(first, splits, { ...base, epochs: 1, optimizer: opt });
    const record: TrainingRecord = { loss: 'mse', optimizer: opt.config(), noise: 0, l1: 0, beta: 1, seed: 11, checkpoint: checkpointFromState(h1.state, h1.epochs) };
    const loaded = decodeModel(encodeModel(first, record, { optimizerState: true }), await wasmKernels(), 'checkpoint');
    const h2 = await train(loaded.model, splits, { ...base, epochs: 2, optimizer: optimizerFromRecord(loaded.training), resume: stateFromCheckpoint(loaded.training.checkpoint!) });
    expect(bits(loaded.model)).toEqual(bits(straight));
    expect(h2.epochs[0]!.loss).toBe(full.epochs[1]!.loss);
    expect(h2.epochs[0]!.val_loss).toBe(full.epochs[1]!.val_loss);
  });
});

describe('BatchNormalization: threads and training', () => {
  it.each([['dense', DEEP_BN], ['conv', CONV_BN]] as const)('%s with BatchNormalization: 1 and 2 threads train to identical weights', async (_name, arch) => {
    const splits = await smallSplits(256, 40);
    // Batch 128: the conv model's normalize and input-gradient passes are split across threads.
    await expectThreadIdentical(arch, splits, { batchSize: 128 });
  });

  it('a deep model with Dense -> BatchNormalization -> relu for each hidden layer learns the bundled digits', async () => {
    // Momentum 0.9: this short run takes 124 steps, after which 0.99's moving statistics
    // would still hold 29% of their initial zeros and ones (inference would lag training).
    const pre = (units: number) => [L('Dense', { units, use_bias: false }), BN({ momentum: 0.9 }), L('Activation', { activation: 'relu' })];
    const arch: Architecture = {
      kind: 'autoencoder',
      input_shape: [28, 28, 1],
      parts: {
        encoder: [L('Flatten'), ...pre(64), ...pre(32), L('Dense', { units: 16, activation: 'relu' })],
        decoder: [...pre(32), ...pre(64), L('Dense', { units: 784, activation: 'sigmoid' }), L('Reshape', { target_shape: [28, 28, 1] })],
      },
    };
    const splits = await smallSplits(2000, 200);
    const model = new Autoencoder(await wasmKernels(), arch).initialize(5);
    const h = await train(model, splits, { epochs: 4, batchSize: 64, seed: 5 });
    const losses = h.epochs.map((e) => e.loss);
    const mse = h.epochs.map((e) => e.test_mse);
    expect(losses[3]!).toBeLessThan(losses[0]! * 0.5);
    // Predicting the mean image scores about 0.067 on these digits; measured 0.055 (deep's 64/32/16 without BN: about 0.05).
    expect(mse[3]!).toBeLessThan(0.06);
    expect(mse[3]!).toBeLessThan(mse[0]! * 0.6);
  });
});
