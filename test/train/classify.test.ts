// A classifier on an encoder (src/train/classify.ts): the seeded class-balanced labelled
// subset, frozen encoders left bit-identical (and given no slots or gradients), fine-tuning
// and from-scratch training, reloading the classifier, every refusal, the freezing rules of
// the graph, and WASM vs the JS spec on a short run.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Dataset, Splits } from '../../src/data/dataset.js';
import { AeError, ArgumentError, DataError, ShapeError } from '../../src/errors.js';
import type { Kernels } from '../../src/kernels/kernels.js';
import { createKernels } from '../../src/kernels/node.js';
import type { Architecture } from '../../src/models/architecture.js';
import { Autoencoder } from '../../src/models/autoencoder.js';
import { decodeModel, encodeModel } from '../../src/models/model-file.js';
import { presetArchitecture } from '../../src/models/presets.js';
import {
  chooseLabelled, classifierArchitecture, classifierEpochs, classifierOutput, encoderPartsOf, evaluateClassifier, trainClassifier,
} from '../../src/train/classify.js';
import { Adam } from '../../src/train/optimizers.js';
import { train } from '../../src/train/trainer.js';
import { RandomStream } from '../../src/random/streams.js';
import { conditionalVae, twoBranch } from '../models/graph-fixtures.js';
import { expectClose, wasmKernels } from '../helpers.js';
import { smallSplits } from './fixtures.js';
import { weightBits } from './thread-identity.js';
import type { ThreadedKernels } from '../../src/kernels/threads/pool.js';

let kernels: Kernels;
let splits: Splits;
/** A dense autoencoder trained on 2,000 digits: the pre-trained encoder. */
let encoder: Autoencoder;

const values = (m: Autoencoder, prefix: string) => m.params.list.filter((p) => p.name.startsWith(prefix)).map((p) => Array.from(m.params.read(p)));

beforeAll(async () => {
  kernels = await wasmKernels();
  splits = await smallSplits(2000, 500);
  encoder = new Autoencoder(kernels, presetArchitecture('dense')).initialize(3);
  await train(encoder, splits, { epochs: 3, seed: 3, evaluateTest: false });
});

describe('chooseLabelled', () => {
  // Labels 0..3 with 6, 5, 7, 4 samples, interleaved.
  const labels = Uint8Array.from([0, 1, 2, 0, 1, 2, 3, 0, 2, 1, 3, 0, 2, 2, 1, 0, 3, 2, 1, 0, 3, 2]);
  const count = (ix: Uint32Array, c: number) => [...ix].filter((i) => labels[i] === c).length;

  it('takes exactly N of every class, ascending, the same for the same seed and another for another seed', () => {
    const a = chooseLabelled(labels, 4, 3, 7);
    expect(a.length).toBe(12);
    for (let c = 0; c < 4; c++) expect(count(a, c)).toBe(3);
    expect([...a]).toEqual([...a].sort((x, y) => x - y));
    expect(new Set(a).size).toBe(12);
    expect([...chooseLabelled(labels, 4, 3, 7)]).toEqual([...a]);
    const others = [1, 2, 3, 4, 5].map((s) => chooseLabelled(labels, 4, 3, s).join());
    expect(others.some((o) => o !== a.join())).toBe(true);
  });

  it('nests: the subset for N lies inside the subset for a larger N of the same seed', () => {
    for (const seed of [0, 1, 2]) {
      const small = chooseLabelled(labels, 4, 2, seed);
      const large = new Set(chooseLabelled(labels, 4, 4, seed));
      for (const i of small) expect(large.has(i)).toBe(true);
    }
  });

  it('all: every sample; a class with fewer than N is a DataError naming it and its count', () => {
    expect([...chooseLabelled(labels, 4, 'all', 0)]).toEqual(Array.from(labels, (_, i) => i));
    expect(() => chooseLabelled(labels, 4, 5, 0)).toThrow(DataError);
    expect(() => chooseLabelled(labels, 4, 5, 0)).toThrow(/5 labels per class: .*one class \(class 3 has 4\); use at most 4, or all/);
    expect(() => chooseLabelled(labels, 4, 6, 0)).toThrow(/2 classes \(class 1 has 5, class 3 has 4\)/);
    expect(() => chooseLabelled(labels, 4, 5, 0, ['a', 'b', 'c', 'd'])).toThrow(/class d has 4/);
    // A class with no sample at all.
    expect(() => chooseLabelled(labels, 5, 1, 0)).toThrow(/class 4 has 0/);
    for (const bad of [0, -1, 1.5, NaN]) expect(() => chooseLabelled(labels, 4, bad, 0)).toThrow(ArgumentError);
  });

  it('on the bundled digits: balanced, and seeds pick different images', async () => {
    const s = await smallSplits(2000, 10);
    const a = chooseLabelled(s.train.labels, 10, 10, 0);
    const b = chooseLabelled(s.train.labels, 10, 10, 1);
    for (let c = 0; c < 10; c++) expect([...a].filter((i) => s.train.labels[i] === c).length).toBe(10);
    expect(a.join()).not.toBe(b.join());
  });
});

describe('trainClassifier', () => {
  it('with a frozen pre-trained encoder: well above chance on 10 labels per class, the encoder bit-identical, the head trained', async () => {
    const r = await trainClassifier(kernels, splits, { encoder, labelsPerClass: 10, freeze: true, seed: 1 });
    try {
      expect(r.encoderParts).toEqual(['encoder']);
      expect(r.labelled.length).toBe(100);
      expect(r.history.epochs.length).toBe(classifierEpochs(100));
      expect(r.test.test_samples).toBe(500);
      // Chance is 0.1.
      expect(r.test.accuracy).toBeGreaterThan(0.5);
      expect(values(r.model, 'encoder.')).toEqual(values(encoder, 'encoder.'));
      const fresh = new Autoencoder(kernels, r.model.architecture).initialize(1);
      expect(values(r.model, 'classifier.')).not.toEqual(values(fresh, 'classifier.'));
      fresh.dispose();
      expect(r.model.training!['classifier']).toMatchObject({ encoder: 'pre-trained', labels_per_class: 10, labelled: 100, freeze: true, hidden: 0, code: 'encoder' });
      // Per-class accuracies and the confusion matrix agree with the accuracy.
      const right = r.test.confusion.reduce((s, row, c) => s + row[c]!, 0);
      expect(right / 500).toBeCloseTo(r.test.accuracy!, 12);
      expect(r.test.per_class_accuracy).toHaveLength(10);
    } finally {
      r.model.dispose();
    }
  });

  it('fine-tuned: the encoder moves, starting from the copied weights; from scratch: the same classifier from a fresh encoder', async () => {
    const tuned = await trainClassifier(kernels, splits, { encoder, labelsPerClass: 10, epochs: 20, seed: 1 });
    const scratch = await trainClassifier(kernels, splits, { encoder: null, architecture: encoder.architecture, labelsPerClass: 10, epochs: 20, seed: 1 });
    try {
      expect(values(tuned.model, 'encoder.')).not.toEqual(values(encoder, 'encoder.'));
      expect(tuned.test.accuracy).toBeGreaterThan(0.5);
      expect(scratch.test.accuracy).toBeGreaterThan(0.3);
      expect(scratch.model.training!['classifier']).toMatchObject({ encoder: 'none', freeze: false });
      // Both took the same labelled images and the same head initialisation.
      expect([...scratch.labelled]).toEqual([...tuned.labelled]);
      expect(scratch.model.architecture).toEqual(tuned.model.architecture);
    } finally {
      tuned.model.dispose();
      scratch.model.dispose();
    }
  });

  it('a pre-trained frozen encoder beats a random frozen one', async () => {
    const pre = await trainClassifier(kernels, splits, { encoder, labelsPerClass: 10, freeze: true, epochs: 50, seed: 2 });
    const random = await trainClassifier(kernels, splits, { encoder: null, architecture: encoder.architecture, labelsPerClass: 10, freeze: true, epochs: 50, seed: 2 });
    try {
      expect(pre.test.accuracy! - random.test.accuracy!).toBeGreaterThan(0.05);
    } finally {
      pre.model.dispose();
      random.model.dispose();
    }
  });

  it('a hidden layer goes into the head; the model file reloads with the same parameters and the same accuracy', async () => {
    const r = await trainClassifier(kernels, splits, { encoder, labelsPerClass: 5, hidden: 16, epochs: 10, seed: 4 });
    try {
      expect(r.model.architecture.parts['classifier']!.map((l) => [l.class_name, l.config['units']])).toEqual([['Dense', 16], ['Dense', 10]]);
      const back = decodeModel(encodeModel(r.model), kernels, 'classifier').model;
      try {
        expect(values(back, '')).toEqual(values(r.model, ''));
        expect(evaluateClassifier(back, splits.test)).toEqual(r.test);
        expect(classifierOutput(back)).toBe('classifier');
        expect(back.preprocessing).toEqual(encoder.preprocessing);
      } finally {
        back.dispose();
      }
    } finally {
      r.model.dispose();
    }
  });

  it('a VAE: the encoder and z_mean parts, the head on z_mean', () => {
    const vae = presetArchitecture('vae');
    expect(encoderPartsOf(vae)).toEqual(['encoder', 'z_mean']);
    const { architecture, head } = classifierArchitecture(vae, 10);
    expect(Object.keys(architecture.parts)).toEqual(['encoder', 'z_mean', 'classifier']);
    expect(architecture.graph!.inputs[head]).toBe('z_mean');
    expect(architecture.kind).toBe('autoencoder');
  });

  it('a code that is not flat gets a Flatten; a part already named classifier gets another head name', () => {
    const conv = classifierArchitecture(presetArchitecture('conv'), 10);
    expect(conv.architecture.parts['classifier']![0]!.class_name).toBe('Flatten');
    // A classifier's own head as the code: its encoder is then encoder and classifier.
    const onHead = { ...conv.architecture, graph: { ...conv.architecture.graph!, code: 'classifier' } };
    const clf = classifierArchitecture(onHead, 3);
    expect(clf.encoderParts).toEqual(['encoder', 'classifier']);
    expect(clf.head).toBe('classifier_2');
    expect(clf.architecture.graph!.inputs['classifier_2']).toBe('classifier');
  });

  it('refuses: no encoder and no architecture, a code that reads the label, no labels, labels per class out of range, too few classes', async () => {
    await expect(trainClassifier(kernels, splits, { encoder: null, labelsPerClass: 10 })).rejects.toThrow(ArgumentError);
    expect(() => encoderPartsOf(conditionalVae())).toThrow(/reads the label/);
    const unlabelled = (ds: Dataset): Dataset => ({ ...ds, labels: new Uint8Array(ds.n) });
    const none: Splits = { train: unlabelled(splits.train), test: unlabelled(splits.test), source: 'table' };
    await expect(trainClassifier(kernels, none, { encoder, labelsPerClass: 1 })).rejects.toThrow(/table: every label is 0, so there are no classes to learn/);
    const missing: Splits = { ...splits, train: { ...splits.train, labels: new Uint8Array(0) } };
    await expect(trainClassifier(kernels, missing, { encoder, labelsPerClass: 1 })).rejects.toThrow(/0 labels for 2000 samples/);
    await expect(trainClassifier(kernels, splits, { encoder, labelsPerClass: 0 })).rejects.toThrow(ArgumentError);
    await expect(trainClassifier(kernels, splits, { encoder, labelsPerClass: 1000 })).rejects.toThrow(DataError);
    expect(() => classifierArchitecture(encoder.architecture, 1)).toThrow(/at least 2 classes/);
    expect(() => classifierArchitecture(encoder.architecture, 10, -1)).toThrow(/hidden units/);
    expect(() => classifierOutput(encoder)).toThrow(/needs a model with a classifier \(a part read by a sparse_categorical_crossentropy loss term\); the model has parts encoder, decoder/);
    // Every refusal is typed.
    await trainClassifier(kernels, splits, { encoder, labelsPerClass: 'x' as unknown as number }).catch((e) => expect(e).toBeInstanceOf(AeError));
  });
});

describe('freezing a part', () => {
  it('a frozen part gets no slots and no gradient, trains no weight and the rest trains', async () => {
    const { architecture } = classifierArchitecture(encoder.architecture, 10);
    const m = new Autoencoder(kernels, architecture).initialize(5);
    try {
      m.params.freeze('encoder');
      expect([...m.params.frozenParts]).toEqual(['encoder']);
      const before = values(m, '');
      await train(m, splits, { epochs: 1, seed: 5, evaluateTest: false, optimizer: new Adam() });
      for (const p of m.params.list) {
        const frozen = p.name.startsWith('encoder.');
        expect(p.trainable).toBe(!frozen);
        expect(p.slots.size).toBe(frozen ? 0 : 2);
        expect(p.grad < 0).toBe(frozen);
      }
      const after = values(m, '');
      const names = m.params.list.map((p) => p.name);
      names.forEach((n, i) => (n.startsWith('encoder.') ? expect(after[i]).toEqual(before[i]) : expect(after[i]).not.toEqual(before[i])));
      // Thawed: it trains again.
      m.params.freeze('encoder', false);
      expect(m.params.frozenParts.size).toBe(0);
      await train(m, splits, { epochs: 1, seed: 5, evaluateTest: false });
      expect(values(m, 'encoder.1.kernel')).not.toEqual([before[names.indexOf('encoder.1.kernel')]]);
      expect(m.params.get('encoder.1.kernel')!.slots.size).toBe(2);
    } finally {
      m.dispose();
    }
  });

  it('a frozen part with BatchNormalization runs on its moving statistics and keeps them', async () => {
    const arch: Architecture = {
      kind: 'autoencoder',
      input_shape: [28, 28, 1],
      parts: {
        encoder: [{ class_name: 'Flatten', config: {} }, { class_name: 'Dense', config: { units: 8, activation: 'linear' } }, { class_name: 'BatchNormalization', config: {} }],
        decoder: [{ class_name: 'Dense', config: { units: 784, activation: 'sigmoid' } }, { class_name: 'Reshape', config: { target_shape: [28, 28, 1] } }],
      },
    };
    const ae = new Autoencoder(kernels, arch).initialize(6);
    await train(ae, splits, { epochs: 1, seed: 6, evaluateTest: false });
    const r = await trainClassifier(kernels, splits, { encoder: ae, labelsPerClass: 5, freeze: true, epochs: 3, seed: 6 });
    const { architecture } = classifierArchitecture(arch, 10);
    const m = new Autoencoder(kernels, architecture).initialize(6);
    try {
      // The moving statistics are encoder parameters: unchanged too.
      expect(values(r.model, 'encoder.')).toEqual(values(ae, 'encoder.'));
      // A training graph runs the frozen part as inference does: the same logits, bit for bit.
      m.params.freeze('encoder');
      const n = 8;
      const logits = (training: boolean) => {
        const g = m.compile({ batch: n, training, loss: 'mse' });
        kernels.heap.write(g.input.offset, splits.train.images.subarray(0, n * 784));
        g.forward({ kernels, training, noise: new RandomStream(1) }, n);
        const out = Array.from(kernels.heap.read(g.valueOf('classifier').offset, n * 10));
        g.release();
        return out;
      };
      expect(logits(true)).toEqual(logits(false));
      m.params.freeze('encoder', false);
      expect(logits(true)).not.toEqual(logits(false));
    } finally {
      r.model.dispose();
      ae.dispose();
      m.dispose();
    }
  });

  it('a frozen encoder of several parts, one without parameters, stays bit-identical', async () => {
    const arch: Architecture = {
      kind: 'autoencoder',
      input_shape: [28, 28, 1],
      parts: {
        flat: [{ class_name: 'Flatten', config: {} }],
        encoder: [{ class_name: 'Dense', config: { units: 16, activation: 'relu' } }],
        decoder: [{ class_name: 'Dense', config: { units: 784, activation: 'sigmoid' } }, { class_name: 'Reshape', config: { target_shape: [28, 28, 1] } }],
      },
      graph: { inputs: { flat: 'input', encoder: 'flat', decoder: 'encoder' }, code: 'encoder', output: 'decoder', losses: [{ kind: 'mse', output: 'decoder', target: 'input', weight: 1 }] },
    };
    const ae = new Autoencoder(kernels, arch).initialize(7);
    const r = await trainClassifier(kernels, splits, { encoder: ae, labelsPerClass: 5, freeze: true, epochs: 3, seed: 7 });
    try {
      expect(r.encoderParts).toEqual(['flat', 'encoder']);
      expect(values(r.model, 'encoder.')).toEqual(values(ae, 'encoder.'));
      expect(r.model.architecture.graph!.inputs).toEqual({ flat: 'input', encoder: 'flat', classifier: 'encoder' });
    } finally {
      r.model.dispose();
      ae.dispose();
    }
  });

  it('a frozen encoder reading a concatenation (of the input and a frozen part): the concatenation plans no gradient', async () => {
    const arch: Architecture = {
      kind: 'autoencoder',
      input_shape: [4],
      parts: {
        a: [{ class_name: 'Dense', config: { units: 3, activation: 'tanh' } }],
        encoder: [{ class_name: 'Dense', config: { units: 5, activation: 'relu' } }],
        decoder: [{ class_name: 'Dense', config: { units: 4, activation: 'linear' } }],
      },
      graph: { inputs: { a: 'input', encoder: { concat: ['input', 'a'] }, decoder: 'encoder' }, code: 'encoder', output: 'decoder', losses: [{ kind: 'mse', output: 'decoder', target: 'input', weight: 1 }] },
    };
    const ds = (n: number, at: number): Dataset => ({
      images: Float32Array.from({ length: n * 4 }, (_, i) => Math.sin(i + at)), labels: Uint8Array.from({ length: n }, (_, i) => i % 3), n, shape: [4],
    });
    const table: Splits = { train: ds(60, 0), test: ds(30, 1000), source: 'table' };
    const ae = new Autoencoder(kernels, arch).initialize(11);
    const r = await trainClassifier(kernels, table, { encoder: ae, labelsPerClass: 10, freeze: true, epochs: 5, seed: 11 });
    const tuned = await trainClassifier(kernels, table, { encoder: ae, labelsPerClass: 10, epochs: 5, seed: 11 });
    try {
      expect(r.encoderParts).toEqual(['a', 'encoder']);
      expect(values(r.model, 'a.')).toEqual(values(ae, 'a.'));
      expect(values(r.model, 'encoder.')).toEqual(values(ae, 'encoder.'));
      // Fine-tuned, the gradient flows through the concatenation into a.
      expect(values(tuned.model, 'a.')).not.toEqual(values(ae, 'a.'));
    } finally {
      r.model.dispose();
      tuned.model.dispose();
      ae.dispose();
    }
  });

  it('refuses a frozen part that reads a training part, a loss on a frozen part, and a sampling of one', () => {
    const { architecture } = classifierArchitecture(encoder.architecture, 10);
    const m = new Autoencoder(kernels, architecture).initialize(0);
    const vae = new Autoencoder(kernels, presetArchitecture('vae', { inputShape: [4], latent: 2 })).initialize(0);
    const branch = new Autoencoder(kernels, twoBranch()).initialize(0);
    try {
      m.params.freeze('classifier');
      expect(() => m.compile({ batch: 4, training: true, loss: 'mse' })).toThrow(ShapeError);
      expect(() => m.compile({ batch: 4, training: true, loss: 'mse' })).toThrow(/part classifier is frozen but reads encoder, which trains/);
      // Inference graphs do not care.
      m.compile({ batch: 4, training: false, loss: 'mse' }).release();
      branch.params.freeze('b');
      expect(() => branch.compile({ batch: 4, training: true, loss: 'mse', l1: 0.1 })).toThrow(/loss 1 \(l1\) reads b, which is frozen/);
      vae.params.freeze('encoder');
      vae.params.freeze('z_mean');
      expect(() => vae.compile({ batch: 4, training: true, loss: 'mse' })).toThrow(/the sampling sample\(z_mean,z_log_var\) reads a frozen part \(z_mean\)/);
    } finally {
      m.dispose();
      vae.dispose();
      branch.dispose();
    }
  });
});

describe('threads', () => {
  it('1 and 2 kernel threads train the same classifier bit for bit, frozen and fine-tuned', async () => {
    const small = await smallSplits(600, 100);
    for (const freeze of [true, false]) {
      const results: { bits: string[]; report: unknown }[] = [];
      for (const threads of [1, 2]) {
        const k = await createKernels({ threads });
        const enc = new Autoencoder(k, presetArchitecture('dense', { latent: 32 })).initialize(8);
        const r = await trainClassifier(k, small, { encoder: enc, labelsPerClass: 10, hidden: 16, freeze, epochs: 3, seed: 8 });
        results.push({ bits: weightBits(r.model), report: r.test });
        if (threads > 1) expect((k as unknown as ThreadedKernels).jobs).toBeGreaterThan(0);
        r.model.dispose();
        enc.dispose();
        if (threads > 1) (k as unknown as ThreadedKernels).dispose();
      }
      expect(results[1]).toEqual(results[0]);
    }
  });
});

describe('WASM vs the JS spec', () => {
  it('a short fine-tuning run gives the same weights and logits within float32 rounding', async () => {
    const small = await smallSplits(300, 50);
    const js = await createKernels({ backend: 'js' });
    const wasm = await createKernels({ backend: 'wasm', deterministic: true });
    const run = async (k: Kernels) => {
      const enc = new Autoencoder(k, presetArchitecture('dense', { latent: 16 })).initialize(9);
      const r = await trainClassifier(k, small, { encoder: enc, labelsPerClass: 5, hidden: 8, epochs: 4, batchSize: 16, seed: 9 });
      enc.dispose();
      return r;
    };
    const a = await run(wasm);
    const b = await run(js);
    try {
      expect([...a.labelled]).toEqual([...b.labelled]);
      const pa = values(a.model, '');
      const pb = values(b.model, '');
      pa.forEach((v, i) => expectClose(v, pb[i]!, 2e-5, 1e-3, a.model.params.list[i]!.name));
      expect(a.history.epochs.map((e) => e.loss)).toEqual(b.history.epochs.map((e) => expect.closeTo(e.loss, 4)));
      expect(Math.abs(a.test.accuracy! - b.test.accuracy!)).toBeLessThanOrEqual(1 / 50);
    } finally {
      a.model.dispose();
      b.model.dispose();
    }
  });
});
