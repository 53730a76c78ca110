// Small graphs of parts for the graph tests: two branches concatenated into one decoder, a
// classifier on the reconstruction (the reference's ae-classifier shape), a classifier head
// beside the decoder on one code (a consumer that adds through a buffer of its own), and a
// conditional VAE (the label concatenated to the encoder's input and to z).
import type { Dataset } from '../../src/data/dataset.js';
import type { Architecture } from '../../src/models/architecture.js';
import type { LayerSpec } from '../../src/nn/layer.js';
import { uniformAt } from '../../src/random/generator.js';

const dense = (units: number, activation: string): LayerSpec => ({ class_name: 'Dense', config: { units, activation } });
const flatten = (): LayerSpec => ({ class_name: 'Flatten', config: {} });
const reshape = (shape: number[]): LayerSpec => ({ class_name: 'Reshape', config: { target_shape: shape } });
const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

export const CLASSES = 3;

/** a and b both read the input; the decoder reads [a, b]; L1 on b adds to the gradient the concatenation wrote. */
export function twoBranch(shape = [2, 2, 1], w = [1, 0.1]): Architecture {
  return <Architecture>(<unknown>{
    kind: 'autoencoder',
    input_shape: shape,
    parts: { a: [flatten(), dense(3, 'tanh')], b: [flatten(), dense(2, 'sigmoid')], decoder: [dense(size(shape), 'sigmoid'), reshape(shape)] },
    graph: {
      inputs: { a: 'input', b: 'input', decoder: { concat: ['a', 'b'] } },
      code: 'a',
      output: 'decoder',
      losses: [{ kind: 'mse', output: 'decoder', target: 'input', weight: w[0]! }, { kind: 'l1', output: 'b', weight: w[1]! }],
    },
  });
}

/** The classifier reads the reconstruction: its gradient and the MSE's meet on the decoder's output. */
export function classifierOnReconstruction(shape = [2, 2, 1], w = [1, 1]): Architecture {
  return {
    kind: 'autoencoder',
    input_shape: shape,
    parts: { encoder: [flatten(), dense(3, 'relu')], decoder: [dense(size(shape), 'sigmoid'), reshape(shape)], classifier: [flatten(), dense(CLASSES, 'linear')] },
    graph: {
      inputs: { encoder: 'input', decoder: 'encoder', classifier: 'decoder' },
      labels: CLASSES,
      code: 'encoder',
      output: 'decoder',
      losses: [
        { kind: 'mse', name: 'reconstruction', output: 'decoder', target: 'input', weight: w[0]! },
        { kind: 'sparse_categorical_crossentropy', name: 'classification', output: 'classifier', target: 'label', weight: w[1]! },
      ],
    },
  };
}

/** A head beside the decoder on the code; its first layer (an Activation) cannot add in place. */
export function headOnCode(shape = [2, 2, 1], w = [1, 0.5]): Architecture {
  return {
    kind: 'autoencoder',
    input_shape: shape,
    parts: {
      encoder: [flatten(), dense(3, 'linear')],
      decoder: [dense(size(shape), 'sigmoid'), reshape(shape)],
      head: [{ class_name: 'Activation', config: { activation: 'tanh' } }, dense(CLASSES, 'linear')],
    },
    graph: {
      inputs: { encoder: 'input', decoder: 'encoder', head: 'encoder' },
      labels: CLASSES,
      code: 'encoder',
      output: 'decoder',
      losses: [
        { kind: 'bce', output: 'decoder', target: 'input', weight: w[0]! },
        { kind: 'sparse_categorical_crossentropy', output: 'head', target: 'label', weight: w[1]! },
      ],
    },
  };
}

/** Conditional VAE on flat inputs: encoder reads [x, label], decoder [z, label]. */
export function conditionalVae(features = 4, w = [1, 1]): Architecture {
  return {
    kind: 'vae',
    input_shape: [features],
    parts: { encoder: [dense(5, 'tanh')], z_mean: [dense(2, 'linear')], z_log_var: [dense(2, 'linear')], decoder: [dense(5, 'relu'), dense(features, 'sigmoid')] },
    graph: {
      inputs: { encoder: { concat: ['input', 'label'] }, z_mean: 'encoder', z_log_var: 'encoder', decoder: { concat: [{ sample: ['z_mean', 'z_log_var'] }, 'label'] } },
      labels: CLASSES,
      code: 'z_mean',
      output: 'decoder',
      losses: [
        { kind: 'bce', output: 'decoder', target: 'input', weight: w[0]!, reduction: 'sum' },
        { kind: 'kl', mean: 'z_mean', log_var: 'z_log_var', weight: w[1]! },
      ],
    },
  };
}

/**
 * A VAE with a classifier on z_mean declared before the decoder: the classifier writes
 * z_mean's gradient first, so the sampling adds through buffers of its own; an L1 term is
 * the first writer of the classifier's output (it clears before adding) and the
 * cross-entropy after it adds through its own buffer.
 */
export function vaeWithClassifier(features = 4, w = [1, 1]): Architecture {
  return {
    kind: 'vae',
    input_shape: [features],
    parts: { encoder: [dense(5, 'tanh')], z_mean: [dense(2, 'linear')], z_log_var: [dense(2, 'linear')], classifier: [dense(CLASSES, 'linear')], decoder: [dense(features, 'sigmoid')] },
    graph: {
      inputs: { encoder: 'input', z_mean: 'encoder', z_log_var: 'encoder', classifier: 'z_mean', decoder: { sample: ['z_mean', 'z_log_var'] } },
      labels: CLASSES,
      code: 'z_mean',
      output: 'decoder',
      losses: [
        { kind: 'bce', output: 'decoder', target: 'input', weight: w[0]!, reduction: 'sum' },
        { kind: 'kl', mean: 'z_mean', log_var: 'z_log_var', weight: 0.5 },
        { kind: 'l1', output: 'classifier', weight: 0.2 },
        { kind: 'sparse_categorical_crossentropy', output: 'classifier', target: 'label', weight: w[1]! },
      ],
    },
  };
}

/** A KL term on two heads nothing else reads (it writes their gradients first: copies), beside a decoder. */
export function klHeads(shape = [2, 2, 1], w = [1, 1]): Architecture {
  return <Architecture>{
    kind: 'autoencoder',
    input_shape: shape,
    parts: { encoder: [flatten(), dense(3, 'tanh')], m: [dense(2, 'linear')], s: [dense(2, 'linear')], decoder: [dense(size(shape), 'sigmoid'), reshape(shape)] },
    graph: {
      inputs: { encoder: 'input', m: 'encoder', s: 'encoder', decoder: 'encoder' },
      code: 'encoder',
      output: 'decoder',
      losses: [{ kind: 'mse', output: 'decoder', target: 'input', weight: w[0]! }, { kind: 'kl', mean: 'm', log_var: 's', weight: w[1]! }],
    },
  };
}

/** KL on a head nothing reads and on the decoder's input: the head must wait for the decoder's gradient before the KL term, and the KL term before it. */
export function klLate(shape = [2, 2, 1], w = [1, 1]): Architecture {
  return <Architecture>{
    kind: 'autoencoder',
    input_shape: shape,
    parts: { encoder: [flatten(), dense(3, 'tanh')], m: [dense(2, 'linear')], s: [dense(2, 'tanh')], decoder: [dense(size(shape), 'sigmoid'), reshape(shape)] },
    graph: {
      inputs: { encoder: 'input', m: 'encoder', s: 'encoder', decoder: 's' },
      code: 'm',
      output: 'decoder',
      losses: [{ kind: 'mse', output: 'decoder', target: 'input', weight: w[0]! }, { kind: 'kl', mean: 'm', log_var: 's', weight: w[1]! }],
    },
  };
}

export const GRAPHS: [string, (w?: number[]) => Architecture][] = [
  ['two branches concatenated', (w) => twoBranch([2, 2, 1], w)],
  ['classifier on the reconstruction', (w) => classifierOnReconstruction([2, 2, 1], w)],
  ['head beside the decoder', (w) => headOnCode([2, 2, 1], w)],
  ['conditional VAE', (w) => conditionalVae(4, w)],
  ['KL on two heads', (w) => klHeads([2, 2, 1], w)],
  ['KL on a head and the decoder\'s input', (w) => klLate([2, 2, 1], w)],
  ['VAE with a classifier on z_mean', (w) => vaeWithClassifier(4, w)],
];

/** Deterministic [0, 1] samples with labels 0..CLASSES-1. */
export function labelled(n: number, shape: number[], seed: number): Dataset {
  const images = new Float32Array(n * size(shape));
  for (let i = 0; i < images.length; i++) images[i] = uniformAt(seed, i);
  return { images, labels: Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) % CLASSES), n, shape };
}

/** One-hot rows label[r] = r mod CLASSES. */
export function oneHotRows(rows: number): number[] {
  return Array.from({ length: rows * CLASSES }, (_, i) => (i % CLASSES === Math.floor(i / CLASSES) % CLASSES ? 1 : 0));
}
