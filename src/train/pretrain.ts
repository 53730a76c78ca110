// Greedy layer-wise pre-training (Bengio, Lamblin, Popovici and Larochelle 2007; the
// unrolling of Hinton and Salakhutdinov 2006): each Dense layer of the encoder is trained
// as a shallow autoencoder on the code of the layers below it, its decoder being the
// matching Dense layer of the full model's decoder; the weights of every shallow model
// are then copied into the full one, which a normal run fine-tunes end to end.
//
// The model must mirror itself: an encoder of k Dense layers (after an optional Flatten)
// and a decoder of k Dense layers (before an optional Reshape) whose layer j maps the
// encoder's code k - j back to the input of encoder layer k - 1 - j. dense, linear and
// deep are such models; a VAE, a convolutional model or one with BatchNormalization is not.
//
// Stored (uint8, on-disk) samples are never converted to float32 whole: the first layer
// streams them as ordinary training does, and the codes for the layers above are computed a
// chunk of samples at a time (codesOf). The codes themselves are float32 in host memory,
// n x width x 4 bytes per layer: they are what the next layer trains on.

import type { Dataset, Splits } from '../data/dataset.js';
import { chunkSamples, readSamples, storedDataset } from '../data/storage.js';
import { ArgumentError } from '../errors.js';
import { checkOptionKeys, optionKeys } from '../options.js';
import { OPTIMIZER_HINTS } from './train-options.js';
import type { Architecture } from '../models/architecture.js';
import { Autoencoder } from '../models/autoencoder.js';
import type { LayerSpec } from '../nn/layer.js';
import type { LossKind } from '../nn/losses.js';
import type { Optimizer } from './optimizers.js';
import { Adam } from './optimizers.js';
import type { NoiseKind } from './noise.js';
import { train, type EpochRecord } from './trainer.js';

export interface PretrainOptions {
  /** Epochs per layer (default 5). */
  epochs?: number;
  batchSize?: number;
  seed?: number;
  /** The first layer's loss (the model's own: BCE or MSE); deeper layers reconstruct codes with MSE. */
  loss?: LossKind;
  /** Input noise for the first layer only (a stacked denoising autoencoder); codes above it are not clipped to [0, 1]. */
  noise?: number;
  /** The kind of that noise (default gaussian; src/train/noise.ts). */
  noiseKind?: NoiseKind;
  /** A fresh optimizer per layer (default: Adam with Keras defaults). */
  optimizer?: () => Optimizer;
  /** Called after each layer's shallow model has trained. */
  onLayer?: (report: PretrainLayer) => void;
}

export interface PretrainLayer {
  /** 1-based, bottom up. */
  layer: number;
  layers: number;
  /** The shallow model: inputs -> units -> inputs. */
  inputs: number;
  units: number;
  loss: LossKind;
  epochs: EpochRecord[];
}

interface DenseStack {
  /** Layer indices (within their parts) of the encoder's and the decoder's Dense layers. */
  encoder: number[];
  decoder: number[];
  /** inputs[l] is the width encoder layer l reads. */
  inputs: number[];
  units: number[];
}

/** Epochs per layer when none are given. */
export const PRETRAIN_EPOCHS = 5;

function denseConfig(spec: LayerSpec): { units: number; activation: string; use_bias: boolean } {
  const c = spec.config as Record<string, unknown>;
  return { units: c['units'] as number, activation: (c['activation'] as string | undefined) ?? 'linear', use_bias: (c['use_bias'] as boolean | undefined) ?? true };
}

/** The mirrored Dense stack of `arch`, or an ArgumentError saying what breaks the mirror. */
export function denseStack(arch: Architecture, inputSize: number): DenseStack {
  const refuse = (why: string): never => {
    throw new ArgumentError(`greedy pre-training needs an encoder and a decoder of mirrored Dense layers (dense, linear, deep): ${why}`);
  };
  if (arch.kind !== 'autoencoder') refuse(`a ${arch.kind} model's code comes from its z_mean / z_log_var heads`);
  const pick = (layers: readonly LayerSpec[], part: string, skip: string): number[] => {
    const out: number[] = [];
    layers.forEach((l, i) => {
      if (l.class_name === 'Dense') out.push(i);
      else if (l.class_name !== skip || (skip === 'Flatten' ? i !== 0 : i !== layers.length - 1)) refuse(`${part} layer ${i} is ${l.class_name}`);
    });
    return out;
  };
  const encoder = pick(arch.parts.encoder, 'encoder', 'Flatten');
  const decoder = pick(arch.parts.decoder, 'decoder', 'Reshape');
  if (encoder.length === 0) refuse('the encoder has no Dense layer');
  if (encoder.length !== decoder.length) refuse(`the encoder has ${encoder.length} Dense layers, the decoder ${decoder.length}`);
  const units = encoder.map((i) => denseConfig(arch.parts.encoder[i]!).units);
  const inputs = [inputSize, ...units.slice(0, -1)];
  const k = units.length;
  decoder.forEach((i, j) => {
    const want = inputs[k - 1 - j]!;
    const got = denseConfig(arch.parts.decoder[i]!).units;
    if (got !== want) refuse(`decoder layer ${i} has ${got} units where the mirror of encoder layer ${encoder[k - 1 - j]} needs ${want}`);
  });
  return { encoder, decoder, inputs, units };
}

function shallowArchitecture(enc: LayerSpec, dec: LayerSpec, inputs: number): Architecture {
  return { kind: 'autoencoder', input_shape: [inputs], parts: { encoder: [structuredClone(enc)], decoder: [structuredClone(dec)] } };
}

function flat(ds: Dataset, values: Float32Array, width: number): Dataset {
  return { images: values, labels: ds.labels, n: ds.n, shape: [width] };
}

/** `ds` seen as flat samples of `width` values: stored samples stay in their store (streamed, never converted whole). */
function flatInput(ds: Dataset, width: number): Dataset {
  return ds.storage ? storedDataset(ds.storage, ds.labels, [width]) : flat(ds, ds.images, width);
}

/** Samples per chunk when codes are computed from stored samples: about readSamples' chunk, a multiple of encode's batch of 256. */
export function codeChunk(size: number): number {
  return 256 * Math.max(1, Math.floor(chunkSamples(size) / 256));
}

/**
 * The codes `model` gives the samples of `ds`, as model.encode(ds.images) does, bit for bit;
 * stored samples are read and encoded `chunk` (a multiple of 256) at a time, so only one
 * chunk of them is ever float32. The chunks start at multiples of `chunk`, and a tail under
 * 256 joins the chunk before it, so encode runs every sample in the same batch of 256 as it
 * would over the whole set.
 */
export function codesOf(model: Autoencoder, ds: Dataset, chunk = codeChunk(model.inputSize)): Float32Array {
  if (!ds.storage) return model.encode(ds.images);
  if (!(Number.isInteger(chunk) && chunk > 0 && chunk % 256 === 0)) throw new ArgumentError(`codesOf: chunk must be a positive multiple of 256, got ${chunk}`);
  const codes = new Float32Array(ds.n * model.codeSize);
  for (let start = 0; start < ds.n; ) {
    let m = Math.min(chunk, ds.n - start);
    if (ds.n - start - m < 256) m = ds.n - start;
    codes.set(model.encode(readSamples(ds, start, m)), start * model.codeSize);
    start += m;
  }
  return codes;
}

const PRETRAIN_KEYS = optionKeys<PretrainOptions>()('epochs', 'batchSize', 'seed', 'loss', 'noise', 'noiseKind', 'optimizer', 'onLayer');

/**
 * Pre-trains `model`'s Dense stack layer by layer on `splits` and writes the weights into
 * `model` (its own initialisation is replaced for those layers); returns one report per layer.
 * Train the whole model afterwards to fine-tune it.
 */
export async function pretrainGreedy(model: Autoencoder, splits: Splits, options: PretrainOptions = {}): Promise<PretrainLayer[]> {
  checkOptionKeys(options, PRETRAIN_KEYS, 'pretrainGreedy(model, splits, options)', OPTIMIZER_HINTS);
  if (options.optimizer !== undefined && typeof options.optimizer !== 'function') {
    throw new ArgumentError(`pretrainGreedy(model, splits, options): optimizer must be a function returning a fresh optimizer for each layer, such as () => new Adam(); got ${typeof options.optimizer === 'object' && options.optimizer !== null ? 'an object' : typeof options.optimizer}`);
  }
  const arch = model.architecture;
  const stack = denseStack(arch, model.inputSize);
  const k = stack.units.length;
  const epochs = options.epochs ?? PRETRAIN_EPOCHS;
  const seed = options.seed ?? 0;
  let train_ = flatInput(splits.train, model.inputSize);
  let test_ = flatInput(splits.test, model.inputSize);
  const reports: PretrainLayer[] = [];
  for (let l = 0; l < k; l++) {
    const encIndex = stack.encoder[l]!;
    const decIndex = stack.decoder[k - 1 - l]!;
    const shallowArch = shallowArchitecture(arch.parts.encoder[encIndex]!, arch.parts.decoder[decIndex]!, stack.inputs[l]!);
    const shallow = new Autoencoder(model.kernels, shallowArch).initialize(seed + l);
    try {
      const loss: LossKind = l === 0 ? (options.loss ?? 'mse') : 'mse';
      const history = await train(shallow, { train: train_, test: test_, source: `${splits.source}, code of layer ${l}` }, {
        epochs,
        batchSize: options.batchSize,
        seed: seed + l,
        loss,
        noise: l === 0 ? options.noise ?? 0 : 0,
        noiseKind: options.noiseKind,
        optimizer: options.optimizer?.() ?? new Adam(),
      });
      copyDense(shallow, 'encoder.0', model, `encoder.${encIndex}`);
      copyDense(shallow, 'decoder.0', model, `decoder.${decIndex}`);
      const report: PretrainLayer = { layer: l + 1, layers: k, inputs: stack.inputs[l]!, units: stack.units[l]!, loss, epochs: history.epochs };
      reports.push(report);
      options.onLayer?.(report);
      if (l + 1 < k) {
        const width = stack.units[l]!;
        train_ = flat(splits.train, codesOf(shallow, train_), width);
        test_ = flat(splits.test, codesOf(shallow, test_), width);
      }
    } finally {
      shallow.dispose();
    }
  }
  return reports;
}

function copyDense(from: Autoencoder, fromPrefix: string, to: Autoencoder, toPrefix: string): void {
  for (const name of ['kernel', 'bias']) {
    const src = from.params.get(`${fromPrefix}.${name}`);
    const dst = to.params.get(`${toPrefix}.${name}`);
    if (!src && !dst) continue;
    if (!src || !dst) throw new ArgumentError(`greedy pre-training: ${toPrefix}.${name} has no counterpart in the shallow model`);
    to.params.write(dst, from.params.read(src), src.shape);
  }
}
