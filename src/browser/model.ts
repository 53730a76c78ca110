// A loaded model as the browser sees it: asynchronous inference (the compute sits behind
// an Executor), a plain-data description of the model for pages to show, and its
// preprocessing applied on this thread (the same functions as Node's Autoencoder, so the
// same values), with pictures in and out at the model's own input shape.
//
// Two kinds of values: the data's units (8-bit pixels 0..255, table values) go through
// normalize / imageToInput on the way in and come back through denormalize / drawImage;
// encode, decode, reconstruct and sample take and give the model's own values, as in Node.

import type { QuantizationRecord } from '../models/quantize.js';
import { applyNormalization, invertNormalization, type Normalization } from '../data/normalize.js';
import type { SampleArray } from '../data/sources/types.js';
import { ArgumentError, ShapeError } from '../errors.js';
import type { Architecture, ModelKind } from '../models/architecture.js';
import type { TrainingRecord } from '../models/model-file.js';
import { formatShape, sizeOf } from '../nn/tensor.js';
import type { SummaryRow } from '../models/summary.js';
import { displayRange } from '../viz/display-range.js';
import type { Executor, Task } from './executor.js';
import { drawImage, imageToInput, imageToPixels, type DrawOptions, type ImageInput, type ImageOptions } from './image.js';

type Canvas = HTMLCanvasElement | OffscreenCanvas;
type Context2D = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;

export interface ModelInfo {
  kind: ModelKind;
  /** Per sample, e.g. [28, 28, 1]. */
  inputShape: number[];
  codeShape: number[];
  outputShape: number[];
  /** Values per code (the product of codeShape). */
  codeSize: number;
  /**
   * How data in its own units becomes the model's input (the model file's
   * `__metadata__.preprocessing` and statistics); null for files without it, whose models
   * take their input as it is ([0, 1] pixels for the image presets).
   */
  preprocessing: Normalization | null;
  /** Trainable parameters. */
  params: number;
  /** The model file's training record (preset, loss, optimizer, noise, epochs, ...). */
  training: TrainingRecord;
  /** Keras-style summary: one row per layer (name, class, output shape, parameters). */
  summary: SummaryRow[];
  architecture: Architecture;
  /** The one-hot label width of a graph that reads labels (a conditional VAE, a classifier's training target); null without. */
  labels: number | null;
  /** Whether encode and reconstruct need one label per sample (the forward pass reads it: a conditional VAE). */
  readsLabels: boolean;
  /** Whether decode and sample need one label per sample (the decoder reads [code, label]: a conditional VAE). */
  decoderReadsLabels: boolean;
  /** The part whose softmax predict returns (the one its sparse categorical cross-entropy reads); null: no classifier. */
  classifier: string | null;
  /** An int8 model's quantization record (README "int8 models"); null for a float model. */
  quantization: QuantizationRecord | null;
  /** The WASM build running it, e.g. "kernels-relaxed.wasm". */
  build: string;
  /** Why that build: asked for, or the rule (relaxed SIMD validates here, deterministic, ...). */
  buildReason: string;
  threads: number;
  /** Where the model came from (URL or "<bytes>"). */
  source: string;
}

export class BrowserModel {
  private disposed = false;

  constructor(
    readonly info: Readonly<ModelInfo>,
    private readonly executor: Executor,
  ) {}

  /** Codes [n, ...codeShape] of inputs [n, ...inputShape] in model space (normalized; a VAE's z_mean); a conditional VAE takes one label per input. */
  encode(images: Float32Array, labels?: ArrayLike<number>): Promise<Float32Array> {
    return this.run(() => ({ op: 'encode', images, ...labelsOf(labels) }));
  }

  /** Outputs [n, ...inputShape] in model space decoded from codes [n, ...codeShape]; a conditional VAE takes one label per code. */
  decode(codes: Float32Array, labels?: ArrayLike<number>): Promise<Float32Array> {
    return this.run(() => ({ op: 'decode', codes, ...labelsOf(labels) }));
  }

  /** Reconstructions, in model space, of inputs [n, ...inputShape] in model space (a VAE decodes z = z_mean); a conditional VAE takes one label per input. */
  reconstruct(images: Float32Array, labels?: ArrayLike<number>): Promise<Float32Array> {
    return this.run(() => ({ op: 'reconstruct', images, ...labelsOf(labels) }));
  }

  /**
   * Class probabilities [n, classes] of inputs [n, ...inputShape] (model space), for a model
   * with a classifier (info.classifier): the softmax of that part's logits.
   */
  predict(images: Float32Array): Promise<Float32Array> {
    if (this.info.classifier === null) return Promise.reject(new ShapeError('predict needs a model with a classifier (a graph with a sparse_categorical_crossentropy loss term); this one has none'));
    return this.run(() => ({ op: 'predict', images }));
  }

  /** Samples in the data's own units -> the model's input (its preprocessing applied; as they are when it has none). */
  normalize(data: SampleArray): Float32Array {
    this.wholeSamples(data.length, 'normalize');
    const norm = this.info.preprocessing;
    return norm ? applyNormalization(norm, data) : Float32Array.from(data);
  }

  /** Model outputs (reconstructions, decoded samples) -> the data's own units. */
  denormalize(values: Float32Array): Float32Array {
    this.wholeSamples(values.length, 'denormalize');
    const norm = this.info.preprocessing;
    return norm ? invertNormalization(norm, values) : Float32Array.from(values);
  }

  /**
   * A picture -> this model's input [1, ...inputShape], ready for encode or reconstruct:
   * resized and converted to its shape (a centred digit for 28 x 28 x 1 models; see
   * imageToPixels), then its preprocessing applied to the 0..255 pixels. Models without
   * preprocessing get the [0, 1] pixels they were trained on.
   */
  imageToInput(image: ImageInput, options: Omit<ImageOptions, 'shape'> = {}): Float32Array {
    const shaped = { ...options, shape: this.info.inputShape };
    return this.info.preprocessing ? this.normalize(imageToPixels(image, shaped)) : imageToInput(image, shaped);
  }

  /** The reconstruction of a picture, in model space: draw it with model.drawImage. */
  async reconstructImage(image: ImageInput, options: Omit<ImageOptions, 'shape'> = {}): Promise<Float32Array> {
    return this.reconstruct(this.imageToInput(image, options));
  }

  /**
   * Draws one of this model's outputs (model space, [n, ...inputShape]; grey or RGB):
   * denormalized to the data's units, then shown by displayRange's rule (8-bit pixels on
   * their own scale, other data stretched to the picture's min and max) unless `range` says.
   */
  drawImage(target: Canvas | Context2D, output: Float32Array, options: Omit<DrawOptions, 'shape' | 'width' | 'height'> = {}): void {
    const shape = this.info.inputShape;
    const size = sizeOf(shape);
    const index = options.index ?? 0;
    if (!(output instanceof Float32Array)) throw new ShapeError('drawImage: a model\'s output must be a Float32Array (as reconstruct, decode and sample return)');
    if (!Number.isInteger(index) || index < 0 || (index + 1) * size > output.length) {
      throw new ShapeError(`drawImage: output ${index} of ${formatShape(shape)} needs ${(index + 1) * size} values, found ${output.length}`);
    }
    const picture = this.denormalize(output.subarray(index * size, (index + 1) * size));
    drawImage(target, picture, { ...options, index: 0, shape, range: options.range ?? displayRange(this.info.preprocessing, picture) });
  }

  /**
   * VAE only: n outputs (model space) decoded from z ~ N(0, I); the same seed gives the same
   * ones. A conditional VAE (info.decoderReadsLabels) takes the class of each, n labels in
   * 0..info.labels - 1; the same seed draws the same z whatever the labels.
   */
  sample(n: number, seed: number = Math.floor(Math.random() * 2 ** 32), labels?: ArrayLike<number>): Promise<Float32Array> {
    if (this.info.kind !== 'vae') return Promise.reject(new ShapeError('sample() needs a variational autoencoder (kind "vae"); this model is a plain autoencoder'));
    if (!Number.isInteger(n) || n < 1) return Promise.reject(new ArgumentError(`sample: n must be a positive integer, found ${n}`));
    if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) return Promise.reject(new ArgumentError(`sample: seed must be an integer in [0, 2^32), found ${seed}`));
    return this.run(() => ({ op: 'sample', n, seed, ...labelsOf(labels) }));
  }

  /** Frees the model's memory; later calls reject. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.executor.dispose();
  }

  private wholeSamples(length: number, what: string): void {
    const size = sizeOf(this.info.inputShape);
    if (length === 0 || length % size !== 0) {
      throw new ShapeError(`${what}: ${length} values is not a whole number of samples of shape ${formatShape(this.info.inputShape)} (${size} values each)`);
    }
  }

  /** The task `make` builds, run; a typed error from building it (bad labels) rejects, as every check here does. */
  private run(make: () => Task): Promise<Float32Array> {
    if (this.disposed) return Promise.reject(new ShapeError('this model was disposed'));
    let task: Task;
    try {
      task = make();
    } catch (err) {
      return Promise.reject(err);
    }
    return this.executor.run(task);
  }
}

/** Labels as the task carries them: plain numbers (structured-cloneable; the model checks them, so 2.5 is refused, never truncated). */
function labelsOf(labels: ArrayLike<number> | undefined): { labels?: number[] } {
  if (labels === undefined) return {};
  if (typeof labels !== 'object' || labels === null || typeof labels.length !== 'number') throw new ShapeError(`labels must be an array of class indices, got ${typeof labels}`);
  return { labels: Array.from(labels) };
}
