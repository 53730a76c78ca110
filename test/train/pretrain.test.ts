// Greedy layer-wise pre-training: which models it takes, that a one-layer stack is exactly
// ordinary training, that every layer's shallow model learns, that the unrolled stack
// reconstructs far better than its initialisation, and that runs repeat bit for bit.
import { describe, expect, it } from 'vitest';
import { ArgumentError, FormatError } from '../../src/errors.js';
import { validateTrainingRecord } from '../../src/models/training-record.js';
import { Autoencoder } from '../../src/models/autoencoder.js';
import { presetArchitecture } from '../../src/models/presets.js';
import { evaluate } from '../../src/train/evaluate.js';
import { denseStack, pretrainGreedy } from '../../src/train/pretrain.js';
import { train } from '../../src/train/trainer.js';
import { wasmKernels } from '../helpers.js';
import { smallSplits } from './fixtures.js';
import { weightBits } from './thread-identity.js';

describe('denseStack: the models greedy pre-training takes', () => {
  it('dense, linear and deep mirror their Dense layers', () => {
    expect(denseStack(presetArchitecture('dense'), 784)).toEqual({ encoder: [1], decoder: [0], inputs: [784], units: [64] });
    expect(denseStack(presetArchitecture('linear', { latent: 8 }), 784).units).toEqual([8]);
    expect(denseStack(presetArchitecture('deep'), 784)).toEqual({ encoder: [1, 2, 3], decoder: [0, 1, 2], inputs: [784, 256, 128], units: [256, 128, 64] });
    expect(denseStack(presetArchitecture('deep', { inputShape: [13] }), 13).inputs).toEqual([13, 256, 128]);
  });

  it.each([
    ['vae', /a vae model's code comes from its z_mean/],
    ['conv', /encoder layer 0 is Conv2D/],
    ['deep-bn', /encoder layer 2 is BatchNormalization/],
  ] as const)('%s is refused, naming why', (preset, message) => {
    expect(() => denseStack(presetArchitecture(preset), 784)).toThrow(ArgumentError);
    expect(() => denseStack(presetArchitecture(preset), 784)).toThrow(message);
  });

  it('a decoder that does not mirror the encoder is refused with the layer and the widths', () => {
    const arch = presetArchitecture('deep');
    (arch.parts.decoder[1]!.config as Record<string, unknown>)['units'] = 200;
    expect(() => denseStack(arch, 784)).toThrow(/decoder layer 1 has 200 units where the mirror of encoder layer 2 needs 256/);
    const short = presetArchitecture('deep');
    short.parts.decoder.splice(0, 1);
    expect(() => denseStack(short, 784)).toThrow(/the encoder has 3 Dense layers, the decoder 2/);
  });
});

describe('pretrainGreedy', () => {
  it('on a one-layer stack it is ordinary training: the same weights bit for bit', async () => {
    const splits = await smallSplits(256, 32);
    const kernels = await wasmKernels();
    const direct = new Autoencoder(kernels, presetArchitecture('dense', { latent: 16 })).initialize(5);
    await train(direct, splits, { epochs: 2, batchSize: 32, seed: 5 });
    const pre = new Autoencoder(kernels, presetArchitecture('dense', { latent: 16 })).initialize(99);
    await pretrainGreedy(pre, splits, { epochs: 2, batchSize: 32, seed: 5 });
    expect(weightBits(pre)).toEqual(weightBits(direct));
    direct.dispose();
    pre.dispose();
  });

  it('deep: each layer learns its code, and the unrolled stack reconstructs far better than its initialisation', async () => {
    const splits = await smallSplits(1000, 200);
    const model = new Autoencoder(await wasmKernels(), presetArchitecture('deep', { latent: 32 })).initialize(1);
    const before = evaluate(model, splits.test).mse;
    const layers = await pretrainGreedy(model, splits, { epochs: 3, batchSize: 32, seed: 1 });
    expect(layers.map((l) => [l.inputs, l.units, l.loss])).toEqual([[784, 256, 'mse'], [256, 128, 'mse'], [128, 32, 'mse']]);
    for (const l of layers) expect(l.epochs.at(-1)!.loss).toBeLessThan(l.epochs[0]!.loss);
    const after = evaluate(model, splits.test).mse;
    expect(after).toBeLessThan(0.5 * before);
    // Fine-tuning the whole model goes on from there.
    const h = await train(model, splits, { epochs: 1, batchSize: 32, seed: 1 });
    expect(h.epochs[0]!.test_mse).toBeLessThan(after);
    model.dispose();
  });

  it('repeats bit for bit, and the first layer takes the model\'s loss and noise', async () => {
    const splits = await smallSplits(200, 20);
    const kernels = await wasmKernels();
    const run = async () => {
      const m = new Autoencoder(kernels, presetArchitecture('deep', { latent: 8 })).initialize(2);
      const layers = await pretrainGreedy(m, splits, { epochs: 1, seed: 4, loss: 'bce', noise: 0.3 });
      const bits = weightBits(m);
      m.dispose();
      return { bits, losses: layers.map((l) => l.loss) };
    };
    const a = await run();
    expect(a.losses).toEqual(['bce', 'mse', 'mse']);
    expect((await run()).bits).toEqual(a.bits);
  });
});

describe('the training record of a pre-trained model', () => {
  const base = { loss: 'mse', optimizer: { name: 'adam', learning_rate: 0.001 }, noise: 0, l1: 0, beta: 1, seed: 0 };
  it('takes pretrain "greedy" with whole pretrain_epochs >= 1, and refuses anything else', () => {
    expect(validateTrainingRecord({ ...base, pretrain: 'greedy', pretrain_epochs: 5 }, 'm')).toMatchObject({ pretrain: 'greedy' });
    expect(() => validateTrainingRecord({ ...base, pretrain: 'stacked' }, 'm')).toThrow(/m: training record pretrain must be "greedy"/);
    expect(() => validateTrainingRecord({ ...base, pretrain: 'greedy', pretrain_epochs: 0 }, 'm')).toThrow(FormatError);
    expect(() => validateTrainingRecord({ ...base, pretrain: 'greedy', pretrain_epochs: 1.5 }, 'm')).toThrow(/pretrain_epochs/);
  });
});
