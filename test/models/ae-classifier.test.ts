// The ae-classifier preset (the reference's AE_mnist_classify.py on the graph of parts),
// classifierPart, Autoencoder.predict, and the accuracy figures of evaluate and train: the
// preset's layers and tensors exactly, predict held to a softmax of the classifier's logits
// computed here, WASM against the JS spec, and a real convergence check on the digits.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadBundledSplits } from '../../src/data/bundled.js';
import { subset, type Splits } from '../../src/data/dataset.js';
import { ArgumentError, UnsupportedError } from '../../src/errors.js';
import { JsKernels } from '../../src/kernels/js.js';
import type { Kernels } from '../../src/kernels/kernels.js';
import { createKernels } from '../../src/kernels/node.js';
import { Autoencoder } from '../../src/models/autoencoder.js';
import { classifierPart } from '../../src/models/classifier.js';
import { PRESETS, presetArchitecture } from '../../src/models/presets.js';
import { RandomStream } from '../../src/random/streams.js';
import { evaluate, evaluateWithConfusion } from '../../src/train/evaluate.js';
import { Adam } from '../../src/train/optimizers.js';
import { train, type EpochRecord } from '../../src/train/trainer.js';
import { expectClose } from '../helpers.js';
import { CLASSES, classifierOnReconstruction, headOnCode, labelled } from './graph-fixtures.js';

const dense = (units: number, activation: string) => ({ class_name: 'Dense', config: { units, activation } });

describe('the ae-classifier preset', () => {
  it('is the reference model exactly: reconstructor 200-200-784 with a Dense(classes) classifier on its reconstruction, MSE + sparse CE weights 1 and 1', () => {
    const arch = presetArchitecture('ae-classifier', { labels: 10 });
    expect(arch.kind).toBe('autoencoder');
    expect(arch.input_shape).toEqual([28, 28, 1]);
    expect(arch.parts).toEqual({
      encoder: [{ class_name: 'Flatten', config: {} }, dense(200, 'relu'), dense(200, 'relu')],
      decoder: [dense(784, 'sigmoid'), { class_name: 'Reshape', config: { target_shape: [28, 28, 1] } }],
      classifier: [{ class_name: 'Flatten', config: {} }, dense(10, 'linear')],
    });
    expect(arch.graph).toEqual({
      inputs: { encoder: 'input', decoder: 'encoder', classifier: 'decoder' },
      labels: 10,
      code: 'encoder',
      decoder: 'decoder',
      output: 'decoder',
      losses: [
        { kind: 'mse', name: 'reconstruction', output: 'decoder', target: 'input', weight: 1 },
        { kind: 'sparse_categorical_crossentropy', name: 'classification', output: 'classifier', target: 'label', weight: 1 },
      ],
    });
    expect(PRESETS['ae-classifier']!.labelled).toBe(true);
    expect(PRESETS['dense']!.labelled).toBe(false);
  });

  it('builds with Keras tensor names, 362,634 parameters and a 200-value code', async () => {
    const model = new Autoencoder(new JsKernels('f32'), presetArchitecture('ae-classifier', { labels: 10 }));
    expect(model.params.list.map((p) => [p.name, p.shape])).toEqual([
      ['encoder.1.kernel', [784, 200]], ['encoder.1.bias', [200]], ['encoder.2.kernel', [200, 200]], ['encoder.2.bias', [200]],
      ['decoder.0.kernel', [200, 784]], ['decoder.0.bias', [784]], ['classifier.1.kernel', [784, 10]], ['classifier.1.bias', [10]],
    ]);
    expect(model.params.count).toBe(362_634);
    expect(model.codeShape).toEqual([200]);
    expect(model.labelCount).toBe(10);
    expect(model.classifier).toBe('classifier');
    model.dispose();
  });

  it('takes any input shape and class count, like the dense family, and a linear output', () => {
    const table = presetArchitecture('ae-classifier', { inputShape: [7], labels: 3, output: 'linear' });
    expect(table.parts['decoder']).toEqual([dense(7, 'linear'), { class_name: 'Reshape', config: { target_shape: [7] } }]);
    expect(table.parts['classifier']![1]).toEqual(dense(3, 'linear'));
    expect(table.graph!.labels).toBe(3);
    const rgb = presetArchitecture('ae-classifier', { inputShape: [8, 6, 3], labels: 4 });
    expect(rgb.parts['decoder']![0]).toEqual(dense(144, 'sigmoid'));
  });

  it('takes 10 classes by default (MNIST\'s, as its default input shape); refuses a bad class count, labels on a preset without a classifier, and --latent', () => {
    expect(presetArchitecture('ae-classifier')).toEqual(presetArchitecture('ae-classifier', { labels: 10 }));
    expect(() => presetArchitecture('ae-classifier', { labels: 1 })).toThrow(/preset ae-classifier: labels must be an integer in 2\.\.1024 \(the data's class count\), got 1/);
    expect(() => presetArchitecture('ae-classifier', { labels: 2.5 })).toThrow(ArgumentError);
    expect(() => presetArchitecture('dense', { labels: 10 })).toThrow(/preset dense reads no labels/);
    expect(() => presetArchitecture('ae-classifier', { beta: 2 })).toThrow(/preset ae-classifier sets its own loss terms \(the reference's\); beta applies to the conditional VAE/);
    expect(() => presetArchitecture('ae-classifier', { labels: 10, latent: 32 })).toThrow(/fixed code shape/);
  });
});

describe('the library entry', () => {
  it('createModel takes the class count and exports the classifier helpers', async () => {
    const lib = await import('../../src/index.js');
    const model = await lib.createModel('ae-classifier', { labels: 3, inputShape: [5], kernels: new JsKernels('f32') });
    expect(model.labelCount).toBe(3);
    expect(lib.classifierPart(model.architecture.graph)).toBe('classifier');
    expect(model.predict(new Float32Array(10).fill(0.5)).length).toBe(6);
    expect(typeof lib.evaluateWithConfusion).toBe('function');
    expect(typeof lib.confusionPng).toBe('function');
    model.dispose();
  });
});

describe('classifierPart', () => {
  it('is the part the sparse categorical cross-entropy term reads, null without one', () => {
    expect(classifierPart(presetArchitecture('ae-classifier', { labels: 10 }).graph)).toBe('classifier');
    expect(classifierPart(headOnCode().graph)).toBe('head');
    expect(classifierPart(presetArchitecture('dense').graph)).toBeNull();
    expect(classifierPart(undefined)).toBeNull();
  });
});

/** softmax in float64 of logits [rows, k]. */
function softmax(logits: ArrayLike<number>, rows: number, k: number): Float64Array {
  const out = new Float64Array(rows * k);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let c = 0; c < k; c++) max = Math.max(max, logits[r * k + c]!);
    let sum = 0;
    for (let c = 0; c < k; c++) sum += (out[r * k + c] = Math.exp(logits[r * k + c]! - max));
    for (let c = 0; c < k; c++) out[r * k + c]! /= sum;
  }
  return out;
}

/** The classifier's logits through a compiled graph's forward pass (not predict's code path). */
function logitsOf(model: Autoencoder, images: Float32Array, n: number): Float32Array {
  const g = model.compile({ batch: n, training: false, loss: 'mse' });
  try {
    model.kernels.heap.write(g.input.offset, images);
    g.forward({ kernels: model.kernels, training: false, noise: new RandomStream(0) }, n, false);
    return model.kernels.heap.read(g.valueOf('classifier').offset, n * model.labelCount!);
  } finally {
    g.release();
  }
}

describe('Autoencoder.predict', () => {
  const shape = [2, 2, 1];
  // 300 samples: more than one inference chunk (256).
  const data = labelled(300, shape, 4);

  it.each([['wasm'], ['js']])('gives the softmax of the classifier logits, rows summing to 1 (%s)', async (backend) => {
    const kernels: Kernels = backend === 'wasm' ? await createKernels({ backend: 'wasm', build: 'kernels.wasm' }) : new JsKernels('f32');
    const model = new Autoencoder(kernels, classifierOnReconstruction(shape)).initialize(3);
    const probs = model.predict(data.images);
    expect(probs.length).toBe(300 * CLASSES);
    expectClose(probs, softmax(logitsOf(model, data.images, 300), 300, CLASSES), 1e-6, 1e-5, 'predict vs softmax(logits)');
    for (let r = 0; r < 300; r++) expect(probs[r * 3]! + probs[r * 3 + 1]! + probs[r * 3 + 2]!).toBeCloseTo(1, 5);
    model.dispose();
  });

  it('matches between the WASM kernels and the JS spec', async () => {
    const wasm = new Autoencoder(await createKernels({ backend: 'wasm', build: 'kernels.wasm' }), classifierOnReconstruction(shape)).initialize(8);
    const js = new Autoencoder(new JsKernels('f32'), classifierOnReconstruction(shape)).initialize(8);
    expectClose(wasm.predict(data.images), js.predict(data.images), 1e-6, 1e-5, 'wasm vs js');
    wasm.dispose();
    js.dispose();
  });

  it('refuses a model without a classifier, naming its parts; and bad inputs', () => {
    const model = new Autoencoder(new JsKernels('f32'), presetArchitecture('dense', { inputShape: shape })).initialize(1);
    expect(() => model.predict(data.images)).toThrow(new UnsupportedError(
      "predict needs a model with a classifier (a part read by a sparse_categorical_crossentropy loss term); this model has parts encoder, decoder",
    ));
    model.dispose();
    const clf = new Autoencoder(new JsKernels('f32'), classifierOnReconstruction(shape)).initialize(1);
    expect(() => clf.predict(new Float32Array(5))).toThrow(/not a whole number of samples of shape \[2, 2, 1\]/);
    expect(() => clf.predict(Float32Array.of(0, 0.5, 2, 1))).toThrow(/outside \[0, 1\]/);
    expect(() => clf.predict(data.images.subarray(0, 4), [1])).toThrow(/does not read them/);
    clf.dispose();
  });
});

describe('evaluate on a model with a classifier', () => {
  it('reports accuracy and the confusion matrix of the argmax of predict, and no accuracy for other models', async () => {
    const kernels = new JsKernels('f32');
    const model = new Autoencoder(kernels, classifierOnReconstruction([2, 2, 1])).initialize(5);
    const ds = labelled(123, [2, 2, 1], 9);
    const { metrics, confusion } = evaluateWithConfusion(model, ds, { batch: 50 });
    const probs = model.predict(ds.images);
    const counts = new Array(CLASSES * CLASSES).fill(0);
    let right = 0;
    for (let r = 0; r < ds.n; r++) {
      const row = Array.from(probs.subarray(r * CLASSES, (r + 1) * CLASSES));
      const p = row.indexOf(Math.max(...row));
      counts[ds.labels[r]! * CLASSES + p]++;
      if (p === ds.labels[r]) right++;
    }
    expect(metrics.accuracy).toBe(right / ds.n);
    expect(Array.from(confusion!.counts)).toEqual(counts);
    const dense = new Autoencoder(kernels, presetArchitecture('dense', { inputShape: [2, 2, 1] })).initialize(5);
    const plain = evaluateWithConfusion(dense, ds);
    expect(plain.confusion).toBeNull();
    expect(Object.keys(plain.metrics)).toEqual(['n', 'mse', 'bce']);
    model.dispose();
    dense.dispose();
  });
});

describe('training ae-classifier on the bundled digits', () => {
  let splits: Splits;
  beforeAll(async () => {
    const all = await loadBundledSplits();
    // 3,000 training digits and 500 test digits: a real check, small enough for two cores.
    splits = { train: subset(all.train, 0, 3000), test: subset(all.test, 0, 500), source: 'digits' };
  });

  it('reaches accuracy far above chance (10%) in two epochs, reported per epoch on every split', async () => {
    const kernels = await createKernels({ backend: 'wasm', threads: 1 });
    const model = new Autoencoder(kernels, presetArchitecture('ae-classifier', { labels: 10 })).initialize(0);
    const history = await train(model, splits, { epochs: 2, batchSize: 32, seed: 0, validationSplit: 0.1 });
    const [first, last] = [history.epochs[0]!, history.epochs[1]!];
    expect(Object.keys(last).sort()).toEqual(
      ['accuracy', 'epoch', 'loss', 'mse', 'samples_per_sec', 'seconds', 'test_accuracy', 'test_mse', 'val_accuracy', 'val_loss', 'val_mse'].sort(),
    );
    expect(last.test_accuracy!).toBeGreaterThan(0.8);
    expect(last.val_accuracy!).toBeGreaterThan(0.8);
    expect(last.accuracy!).toBeGreaterThan(first.accuracy! - 0.01);
    expect(last.loss).toBeLessThan(first.loss);
    // The figures are evaluate()'s on the final weights.
    const test = evaluate(model, splits.test);
    expect(test.accuracy).toBe(last.test_accuracy);
    expect(test.mse).toBe(last.test_mse);
    expect(evaluate(model, subset(splits.train, 0, 2700)).accuracy).toBe(last.accuracy);
    // The reconstruction trains too: well below the MSE of an all-0.5 output on digits (about 0.2).
    expect(last.mse!).toBeLessThan(0.15);
    model.dispose();
  });

  it('gives the same per-epoch figures when training resumes from an epoch\'s state', async () => {
    const small: Splits = { train: subset(splits.train, 0, 256), test: subset(splits.test, 0, 64), source: 'digits' };
    const figures = (e: EpochRecord) => [e.loss, e.mse, e.accuracy, e.val_mse, e.val_accuracy, e.test_mse, e.test_accuracy];
    const o = { batchSize: 32, seed: 3, validationSplit: 0.25 };
    const fresh = () => new Autoencoder(new JsKernels('f32'), presetArchitecture('ae-classifier')).initialize(2);
    const whole = fresh();
    const straight = (await train(whole, small, { ...o, epochs: 2, optimizer: new Adam() })).epochs.map(figures);
    whole.dispose();
    const model = fresh();
    const optimizer = new Adam();
    const one = await train(model, small, { ...o, epochs: 1, optimizer });
    const rest = await train(model, small, { ...o, epochs: 2, optimizer, resume: one.state });
    expect([...one.epochs, ...rest.epochs].map(figures)).toEqual(straight);
    expect(straight[1]!.every((v) => typeof v === 'number' && Number.isFinite(v))).toBe(true);
    model.dispose();
  });

  it('leaves the history records of models without a classifier as they were', async () => {
    const model = new Autoencoder(new JsKernels('f32'), presetArchitecture('dense', { latent: 8 })).initialize(0);
    const small: Splits = { train: subset(splits.train, 0, 64), test: subset(splits.test, 0, 16), source: 'digits' };
    const history = await train(model, small, { epochs: 1, batchSize: 32, seed: 0, validationSplit: 0.25 });
    expect(Object.keys(history.epochs[0]!)).toEqual(['epoch', 'loss', 'test_mse', 'seconds', 'samples_per_sec', 'val_loss']);
    model.dispose();
  });
});
