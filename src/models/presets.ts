// Named presets, exactly as DESIGN.md's table defines them (all conv kernels 3x3), fitted
// to an input shape. The dense family (dense, linear, deep, deep-bn, vae) takes any shape: Flatten,
// Dense layers, Dense(prod(shape)), Reshape(shape). The conv family (conv, deep-conv) takes
// H x W x C and ends in a conv with C filters. On 28x28x1 every preset gives exactly the
// record it always gave: model files and checkpoints name their tensors after it.
// Every preset is a graph of parts in the default wiring (graph-record.ts defaultGraph:
// input -> encoder -> decoder, or through z_mean, z_log_var and a sampling for vae), its
// loss terms from the trainer's settings (--loss, --l1 for sparse, --beta; --noise for
// denoising feeds the graph a noisy copy of its "input" target); its record carries no
// `graph` field, so files stay what they were. The labelled presets (ae-classifier, cvae)
// are the exception: their wiring reads the label, so their record carries its graph and
// its loss terms, and they are built for a class count (the data's).

import { ArgumentError, ShapeError } from '../errors.js';
import type { LayerSpec } from '../nn/layer.js';
import type { LossKind } from '../nn/losses.js';
import { formatShape, sameShape, sizeOf, type Shape } from '../nn/tensor.js';
import type { Architecture } from './architecture.js';
import { MAX_GRAPH_LABELS } from './graph-record.js';
import { planArchitecture } from './plan.js';
import { checkOptionKeys, optionKeys } from '../options.js';

/** The output activation: sigmoid for data in [0, 1], linear for data beyond it (standardised, min-max to another range). */
export type OutputKind = 'sigmoid' | 'linear';
export const OUTPUT_KINDS: readonly OutputKind[] = ['sigmoid', 'linear'];

/** The input shape when none is given: MNIST's. */
export const INPUT_SHAPE: readonly number[] = [28, 28, 1];

const dense = (units: number, activation: string): LayerSpec => ({ class_name: 'Dense', config: { units, activation } });
/**
 * Dense(units, no bias) -> BatchNormalization (Keras defaults) -> relu -> Dropout(0.05).
 * The rate is the lightest of those measured (0.05 or 0.1, encoder only or both parts):
 * dropout costs reconstruction error here (10 epochs: 0.01237 against 0.01058 without it),
 * the price of the regulariser a Keras model carries.
 */
const denseBn = (units: number): LayerSpec[] => [
  { class_name: 'Dense', config: { units, activation: 'linear', use_bias: false } },
  { class_name: 'BatchNormalization', config: {} },
  { class_name: 'Activation', config: { activation: 'relu' } },
  { class_name: 'Dropout', config: { rate: 0.05 } },
];
const flatten = (): LayerSpec => ({ class_name: 'Flatten', config: {} });
const reshape = (target_shape: Shape): LayerSpec => ({ class_name: 'Reshape', config: { target_shape: [...target_shape] } });
const conv = (filters: number, strides: number, padding: 'same' | 'valid', activation: string, kernel: [number, number] = [3, 3]): LayerSpec => ({
  class_name: 'Conv2D',
  config: { filters, kernel_size: kernel, strides: [strides, strides], padding, activation },
});
const convT = (filters: number, strides: number, activation: string): LayerSpec => ({
  class_name: 'Conv2DTranspose',
  config: { filters, kernel_size: [3, 3], strides: [strides, strides], padding: 'same', activation },
});
const pool = (): LayerSpec => ({ class_name: 'MaxPooling2D', config: { pool_size: [2, 2], strides: [2, 2], padding: 'same' } });
const up = (): LayerSpec => ({ class_name: 'UpSampling2D', config: { size: [2, 2], interpolation: 'nearest' } });

const autoencoder = (shape: Shape, encoder: LayerSpec[], decoder: LayerSpec[]): Architecture => ({
  kind: 'autoencoder',
  input_shape: [...shape],
  parts: { encoder, decoder },
});

/** What the trainer takes from a preset when the user does not say. */
export interface TrainerDefaults {
  loss: LossKind;
  /** Stddev of the input noise (denoising presets), in the model's input units. */
  noise: number;
}

export interface PresetOptions {
  /** Code size, for the presets that have the choice (dense, linear, deep, vae). */
  latent?: number;
  /** Per-sample shape: [features] for a table, [H, W, C] for images; default [28, 28, 1]. */
  inputShape?: readonly number[];
  /** The output activation (default sigmoid; the linear preset's output is linear whatever this says). */
  output?: OutputKind;
  /** Labelled presets (cvae): the one-hot label width, the data's class count (default 10, the bundled digits'). */
  labels?: number;
  /** Labelled presets: the reconstruction term's kind (default the preset's for the output), and the KL weight (default 1). */
  loss?: LossKind;
  beta?: number;
}

/** The class count a labelled preset is built for when none is given: the bundled digits' 10. */
export const DEFAULT_LABELS = 10;

export interface PresetInfo {
  /**
   * The code size when it is a choice (dense, linear, deep, vae); null when fixed by the
   * layers. On an input of fewer than 2 x this many values the default is half the input
   * (a code as wide as the input can copy it instead of compressing it).
   */
  defaultLatent: number | null;
  /** Trainer defaults for the default output (sigmoid: data in [0, 1]); the same as `outputs.sigmoid`. */
  defaults: TrainerDefaults;
  /** Trainer defaults by output activation: sigmoid for [0, 1] data, linear (always MSE) for data beyond it. */
  outputs: Readonly<Record<OutputKind, TrainerDefaults>>;
  /** The input shapes it takes: any (flattened), or images H x W x C. */
  inputs: 'any' | 'image';
  /** Whether its graph reads the label (ae-classifier, cvae): it needs labelled data, and is built for their class count. */
  labelled: boolean;
  description: string;
  /** The architecture for a code size, an input shape and an output activation (checked as presetArchitecture does). */
  build(latent: number, inputShape?: readonly number[], output?: OutputKind, labels?: LabelOptions): Architecture;
}

/** What a labelled preset's graph is built with (the others ignore it). */
export interface LabelOptions {
  labels: number;
  loss?: LossKind;
  beta?: number;
}

type Builder = (latent: number, shape: Shape, out: OutputKind, labelled: LabelOptions) => Architecture;

interface PresetDef {
  defaultLatent: number | null;
  sigmoidLoss: LossKind;
  noise: number;
  inputs: 'any' | 'image';
  labelled?: boolean;
  description: string;
  /** What the conv presets need of H and W, for the error when a size does not fit. */
  needs?: string;
  /** A labelled preset with a KL term (cvae): it takes `loss` (its reconstruction term) and `beta`; ae-classifier's terms are the reference's. */
  kl?: boolean;
  /** The fewest classes it is built for (default 1; a classifier needs 2). */
  minLabels?: number;
  layers: Builder;
}

const DEFS: Record<string, PresetDef> = {
  dense: {
    defaultLatent: 64,
    sigmoidLoss: 'mse',
    noise: 0,
    inputs: 'any',
    description: 'the seed model: input -> latent (relu) -> input (sigmoid)',
    layers: (latent, shape, out) => autoencoder(shape, [flatten(), dense(latent, 'relu')], [dense(sizeOf(shape), out), reshape(shape)]),
  },
  linear: {
    defaultLatent: 64,
    sigmoidLoss: 'mse',
    noise: 0,
    inputs: 'any',
    description: 'no activations: its code spans the PCA subspace',
    layers: (latent, shape) => autoencoder(shape, [flatten(), dense(latent, 'linear')], [dense(sizeOf(shape), 'linear'), reshape(shape)]),
  },
  deep: {
    defaultLatent: 64,
    sigmoidLoss: 'mse',
    noise: 0,
    inputs: 'any',
    description: 'input -> 256 -> 128 -> latent -> 128 -> 256 -> input',
    layers: (latent, shape, out) => autoencoder(
      shape,
      [flatten(), dense(256, 'relu'), dense(128, 'relu'), dense(latent, 'relu')],
      [dense(128, 'relu'), dense(256, 'relu'), dense(sizeOf(shape), out), reshape(shape)],
    ),
  },
  // deep with BatchNormalization between each hidden Dense and its relu (the code layer
  // keeps a plain relu, so codes stay comparable with deep's); those Dense layers drop
  // their bias, which the normalization's mean subtraction would cancel (beta replaces it).
  'deep-bn': {
    defaultLatent: 64,
    sigmoidLoss: 'mse',
    noise: 0,
    inputs: 'any',
    description: 'deep with BatchNormalization before and Dropout(0.05) after each hidden relu',
    layers: (latent, shape, out) => autoencoder(
      shape,
      [flatten(), ...denseBn(256), ...denseBn(128), dense(latent, 'relu')],
      [...denseBn(128), ...denseBn(256), dense(sizeOf(shape), out), reshape(shape)],
    ),
  },
  conv: {
    defaultLatent: null,
    // BCE, not the tutorial's MSE: with MSE this sigmoid-output model collapses to a
    // blank image for most seeds on the 8,000-digit split (TF.js with Keras semantics
    // plateaus the same way); BCE from logits trains it on every seed tried.
    sigmoidLoss: 'bce',
    noise: 0.2,
    inputs: 'image',
    description: "the TensorFlow tutorial's convolutional denoiser; code H/4 x W/4 x 8",
    needs: 'height and width divisible by 4 (two stride-2 convolutions, undone by two stride-2 transposed ones)',
    layers: (_latent, shape, out) => autoencoder(
      shape,
      [conv(16, 2, 'same', 'relu'), conv(8, 2, 'same', 'relu')],
      [convT(8, 2, 'relu'), convT(16, 2, 'relu'), conv(shape[2]!, 1, 'same', out)],
    ),
  },
  'deep-conv': {
    defaultLatent: null,
    // The Keras blog trains this model with binary cross-entropy (and MSE collapses it).
    sigmoidLoss: 'bce',
    noise: 0,
    inputs: 'image',
    description: 'the Keras blog convolutional autoencoder with pooling and upsampling; code ceil(H/8) x ceil(W/8) x 8',
    needs: 'even height and width (the last 2x upsampling doubles a size)',
    layers: (_latent, shape, out) => autoencoder(
      shape,
      [conv(16, 1, 'same', 'relu'), pool(), conv(8, 1, 'same', 'relu'), pool(), conv(8, 1, 'same', 'relu'), pool()],
      [conv(8, 1, 'same', 'relu'), up(), conv(8, 1, 'same', 'relu'), up(), cropConv(shape), up(), conv(shape[2]!, 1, 'same', out)],
    ),
  },
  vae: {
    defaultLatent: 2,
    sigmoidLoss: 'bce',
    noise: 0,
    inputs: 'any',
    description: 'variational: input -> 512 -> (z_mean, z_log_var) -> z -> 512 -> input',
    layers: (latent, shape, out) => ({
      kind: 'vae',
      input_shape: [...shape],
      parts: {
        encoder: [flatten(), dense(512, 'relu')],
        z_mean: [dense(latent, 'linear')],
        z_log_var: [dense(latent, 'linear')],
        decoder: [dense(512, 'relu'), dense(sizeOf(shape), out), reshape(shape)],
      },
    }),
  },
  // ---- ae-classifier: the reference repository's AE_mnist_classify.py on the graph of parts.
  // Its reconstructor Flatten, Dense(200, relu), Dense(200, relu), Dense(784, sigmoid),
  // Reshape is split after the second Dense so encode() gives the 200-value code; the
  // classifier Flatten, Dense(classes) reads the reconstruction. Keras' Dense(10, softmax)
  // + SparseCategoricalCrossentropy is Dense(10) + the cross-entropy from logits (softmax
  // fused into the loss; predict() applies it). Losses MSE + sparse CE, weights 1 and 1;
  // Adam and batch 32 are the trainer's defaults, as the reference's.
  'ae-classifier': {
    defaultLatent: null,
    sigmoidLoss: 'mse',
    noise: 0,
    inputs: 'any',
    labelled: true,
    minLabels: 2,
    description: 'autoencoder 200-200 with a Dense(classes) classifier on its reconstruction; MSE + sparse categorical cross-entropy',
    layers: (_latent, shape, out, l) => ({
      kind: 'autoencoder',
      input_shape: [...shape],
      parts: {
        encoder: [flatten(), dense(200, 'relu'), dense(200, 'relu')],
        decoder: [dense(sizeOf(shape), out), reshape(shape)],
        classifier: [flatten(), dense(l.labels, 'linear')],
      },
      graph: {
        inputs: { encoder: 'input', decoder: 'encoder', classifier: 'decoder' },
        labels: l.labels,
        code: 'encoder',
        decoder: 'decoder',
        output: 'decoder',
        losses: [
          { kind: 'mse', name: 'reconstruction', output: 'decoder', target: 'input', weight: 1 },
          { kind: 'sparse_categorical_crossentropy', name: 'classification', output: 'classifier', target: 'label', weight: 1 },
        ],
      },
    }),
  },
  // The conditional VAE (Sohn et al. 2015; the lecture series' cvae): vae's layers, with the
  // one-hot label concatenated to the flattened input and to z. The Flatten is a part of its
  // own so that the concatenation sees [features] on any input shape.
  cvae: {
    defaultLatent: 2,
    sigmoidLoss: 'bce',
    noise: 0,
    inputs: 'any',
    labelled: true,
    kl: true,
    description: 'conditional VAE: [input, label] -> 512 -> (z_mean, z_log_var) -> [z, label] -> 512 -> input',
    layers: (latent, shape, out, l) => ({
      kind: 'vae',
      input_shape: [...shape],
      parts: {
        flatten: [flatten()],
        encoder: [dense(512, 'relu')],
        z_mean: [dense(latent, 'linear')],
        z_log_var: [dense(latent, 'linear')],
        decoder: [dense(512, 'relu'), dense(sizeOf(shape), out), reshape(shape)],
      },
      graph: {
        inputs: {
          flatten: 'input',
          encoder: { concat: ['flatten', 'label'] },
          z_mean: 'encoder',
          z_log_var: 'encoder',
          decoder: { concat: [{ sample: ['z_mean', 'z_log_var'] }, 'label'] },
        },
        labels: l.labels,
        code: 'z_mean',
        decoder: 'decoder',
        output: 'decoder',
        // As the vae preset trains: the reconstruction summed per image, plus beta x KL.
        losses: [
          { kind: l.loss ?? (out === 'linear' ? 'mse' : 'bce'), name: 'reconstruction', output: 'decoder', target: 'input', weight: 1, reduction: 'sum' },
          { kind: 'kl', name: 'kl', mean: 'z_mean', log_var: 'z_log_var', weight: l.beta ?? 1 },
        ],
      },
    }),
  },
};

/**
 * deep-conv's third decoder conv, the Keras blog's crop: three 'same' poolings take a side
 * n to ceil(n / 8), two upsamplings to 4 ceil(n / 8), and this conv must bring that to n / 2
 * for the last upsampling to give n. A 'valid' conv with kernel d + 1 removes d rows, so
 * the kernel is d + 1 per axis (on 28: 16 -> 14, the blog's 3x3 valid); with nothing to
 * remove on either axis it is the plain 3x3 'same' conv. d is at most 3.
 */
function cropConv(shape: Shape): LayerSpec {
  const crop = (n: number) => 4 * Math.ceil(n / 8) - Math.ceil(n / 2);
  const dh = crop(shape[0]!);
  const dw = crop(shape[1]!);
  return dh === 0 && dw === 0 ? conv(16, 1, 'same', 'relu') : conv(16, 1, 'valid', 'relu', [dh + 1, dw + 1]);
}

function trainerDefaults(def: PresetDef, output: OutputKind): TrainerDefaults {
  // A linear output has no [0, 1] range for cross-entropy to measure: MSE.
  return { loss: output === 'linear' ? 'mse' : def.sigmoidLoss, noise: def.noise };
}

function info(name: string, def: PresetDef): PresetInfo {
  const outputs = { sigmoid: trainerDefaults(def, 'sigmoid'), linear: trainerDefaults(def, 'linear') };
  return {
    defaultLatent: def.defaultLatent,
    defaults: outputs.sigmoid,
    outputs,
    inputs: def.inputs,
    labelled: def.labelled ?? false,
    description: def.description,
    build: (latent, inputShape = INPUT_SHAPE, output = 'sigmoid', labels = { labels: DEFAULT_LABELS }) => fitted(name, def, latent, inputShape, output, labels),
  };
}

export const PRESETS: Readonly<Record<string, PresetInfo>> = Object.fromEntries(
  Object.entries(DEFS).map(([name, def]) => [name, info(name, def)]),
);

export const PRESET_NAMES = Object.keys(PRESETS);

/** The preset's trainer defaults for an output activation (see PresetInfo.outputs). */
export function presetDefaults(name: string, output: OutputKind = 'sigmoid'): TrainerDefaults {
  checkOutput(output);
  return presetDef(name).info.outputs[output];
}

/**
 * The architecture of a preset for an input shape. `latent` only where the preset has a
 * code-size choice. The older form presetArchitecture(name, latent) still works. Throws
 * ArgumentError for a bad name, latent or output, ShapeError for an input shape the
 * preset cannot give back (naming the nearest sizes that work).
 */
const PRESET_OPTION_KEYS = optionKeys<PresetOptions>()('latent', 'inputShape', 'output', 'labels', 'loss', 'beta');

export function presetArchitecture(name: string, options: number | PresetOptions = {}): Architecture {
  if (typeof options !== 'number') checkOptionKeys(options ?? undefined, PRESET_OPTION_KEYS, 'presets.architecture(name, options)');
  const o: PresetOptions = typeof options === 'number' ? { latent: options } : options ?? {};
  const { def } = presetDef(name);
  const shape = checkInputShape(name, def, o.inputShape ?? INPUT_SHAPE);
  const output = o.output ?? 'sigmoid';
  checkOutput(output);
  const labels = labelOptions(name, def, o);
  if (def.defaultLatent === null) {
    if (o.latent !== undefined) throw new ArgumentError(`preset ${name} has a fixed code shape (set by its layers); --latent does not apply to it`);
    return fitted(name, def, 0, shape, output, labels);
  }
  const features = sizeOf(shape);
  const size = o.latent ?? (features < 2 * def.defaultLatent ? Math.max(1, Math.floor(features / 2)) : def.defaultLatent);
  if (!Number.isInteger(size) || size < 1) throw new ArgumentError(`latent must be a positive integer, got ${size}`);
  return fitted(name, def, size, shape, output, labels);
}

/** A labelled preset's class count, loss and KL weight, checked; the others refuse them. */
function labelOptions(name: string, def: PresetDef, o: PresetOptions): LabelOptions {
  if (!def.labelled) {
    const given = (['labels', 'loss', 'beta'] as const).filter((k) => o[k] !== undefined);
    if (given.length > 0) throw new ArgumentError(`preset ${name} reads no labels and takes its loss from the trainer; ${given.join(', ')} apply to the labelled presets (${PRESET_NAMES.filter((p) => DEFS[p]!.labelled).join(', ')})`);
    return { labels: DEFAULT_LABELS };
  }
  const labels = o.labels ?? DEFAULT_LABELS;
  const min = def.minLabels ?? 1;
  if (!Number.isInteger(labels) || labels < min || labels > MAX_GRAPH_LABELS) {
    throw new ArgumentError(`preset ${name}: labels must be an integer in ${min}..${MAX_GRAPH_LABELS} (the data's class count), got ${labels}`);
  }
  if (o.loss !== undefined && o.loss !== 'mse' && o.loss !== 'bce') throw new ArgumentError(`preset ${name}: loss must be mse or bce, got ${JSON.stringify(o.loss)}`);
  const fixed = (['loss', 'beta'] as const).filter((k) => o[k] !== undefined);
  if (!def.kl && fixed.length > 0) throw new ArgumentError(`preset ${name} sets its own loss terms (the reference's); ${fixed.join(', ')} ${fixed.length > 1 ? 'apply' : 'applies'} to the conditional VAE (cvae)`);
  if (o.beta !== undefined && !(Number.isFinite(o.beta) && o.beta >= 0)) throw new ArgumentError(`preset ${name}: beta must be a finite number >= 0, got ${o.beta}`);
  return { labels, loss: o.loss, beta: o.beta };
}

function presetDef(name: string): { def: PresetDef; info: PresetInfo } {
  // Own properties only: "toString" must not find Object.prototype's.
  if (!Object.hasOwn(DEFS, name)) throw new ArgumentError(`unknown preset ${JSON.stringify(name)}; expected one of ${PRESET_NAMES.join(', ')}`);
  return { def: DEFS[name]!, info: PRESETS[name]! };
}

function checkOutput(output: unknown): asserts output is OutputKind {
  if (!OUTPUT_KINDS.includes(output as OutputKind)) {
    throw new ArgumentError(`output must be one of ${OUTPUT_KINDS.join(', ')}, got ${JSON.stringify(output)}`);
  }
}

function checkInputShape(name: string, def: PresetDef, shape: unknown): Shape {
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => Number.isSafeInteger(d) && d >= 1)) {
    throw new ShapeError(`preset ${name}: input shape must be a non-empty list of positive integers, got ${JSON.stringify(shape)}`);
  }
  if (def.inputs === 'image' && shape.length !== 3) {
    const hint = shape.length === 1
      ? `a table of ${shape[0]} features; the dense presets (dense, linear, deep, vae) take tables`
      : shape.length === 2 ? `for one-channel images use [${shape.join(', ')}, 1]` : 'flatten it, or use a dense preset';
    throw new ShapeError(`preset ${name} needs images [height, width, channels], got input shape ${formatShape(shape)} (${hint})`);
  }
  return shape as number[];
}

/**
 * The preset's layers for `shape`, checked end to end with the layers' own size rules
 * (the dry-run plan): the decoder must give back exactly the input shape.
 */
function fitted(name: string, def: PresetDef, latent: number, shape: Shape, output: OutputKind, labels: LabelOptions): Architecture {
  checkInputShape(name, def, shape);
  checkOutput(output);
  const arch = def.layers(latent, shape, output, labels);
  if (def.inputs === 'any') return arch;
  const out = planArchitecture(arch).outputShape;
  if (sameShape(out, shape)) return arch;
  const sides = (['height', 'width'] as const).flatMap((side, axis) => {
    const n = shape[axis]!;
    if (fitsSide(def, axis, n)) return [];
    const near = nearestFits(def, axis, n);
    return [`${side} ${n}${near.length > 0 ? ` (nearest: ${near.join(' or ')})` : ''}`];
  });
  throw new ShapeError(
    `preset ${name} on input ${formatShape(shape)}: the decoder would output ${formatShape(out)}; ${name} needs ${def.needs}; ${sides.join(', ')}`,
  );
}

/** The other side of the probe images below: a length both conv presets give back. */
const PROBE_SIDE = 4;

/** Whether a side of length n on `axis` comes back as n, by the layers' own rules (a dry-run plan of a narrow one-channel image). */
function fitsSide(def: PresetDef, axis: number, n: number): boolean {
  const probe = axis === 0 ? [n, PROBE_SIDE, 1] : [PROBE_SIDE, n, 1];
  return sameShape(planArchitecture(def.layers(0, probe, 'sigmoid', { labels: DEFAULT_LABELS })).outputShape, probe);
}

/** How far from n the nearest fitting sizes are looked for (the conv presets need at most 3). */
const NEAREST_SEARCH = 64;

/** The nearest side lengths below and above n that fit, those that exist within the search. */
function nearestFits(def: PresetDef, axis: number, n: number): number[] {
  const found: number[] = [];
  for (let s = n - 1; s >= Math.max(1, n - NEAREST_SEARCH); s--) {
    if (fitsSide(def, axis, s)) {
      found.push(s);
      break;
    }
  }
  for (let s = n + 1; s <= n + NEAREST_SEARCH; s++) {
    if (fitsSide(def, axis, s)) {
      found.push(s);
      break;
    }
  }
  return found;
}
