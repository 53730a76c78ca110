// A loaded model as the browser sees it: asynchronous inference (the compute sits behind
// an Executor) and a plain-data description of the model for pages to show.

import { ArgumentError, ShapeError } from '../errors.js';
import type { Architecture, ModelKind } from '../models/architecture.js';
import type { TrainingRecord } from '../models/model-file.js';
import type { SummaryRow } from '../models/summary.js';
import type { Executor } from './executor.js';

export interface ModelInfo {
  kind: ModelKind;
  /** Per sample, e.g. [28, 28, 1]. */
  inputShape: number[];
  codeShape: number[];
  outputShape: number[];
  /** Values per code (the product of codeShape). */
  codeSize: number;
  /** Trainable parameters. */
  params: number;
  /** The model file's training record (preset, loss, optimizer, noise, epochs, ...). */
  training: TrainingRecord;
  /** Keras-style summary: one row per layer (name, class, output shape, parameters). */
  summary: SummaryRow[];
  architecture: Architecture;
  /** The WASM build running it, e.g. "kernels-relaxed.wasm". */
  build: string;
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

  /** Codes [n, ...codeShape] of images [n, 28, 28, 1] in [0, 1] (a VAE's z_mean). */
  encode(images: Float32Array): Promise<Float32Array> {
    return this.run({ op: 'encode', images });
  }

  /** Images [n, 28, 28, 1] decoded from codes [n, ...codeShape]. */
  decode(codes: Float32Array): Promise<Float32Array> {
    return this.run({ op: 'decode', codes });
  }

  /** Reconstructions of images [n, 28, 28, 1] (a VAE decodes z = z_mean). */
  reconstruct(images: Float32Array): Promise<Float32Array> {
    return this.run({ op: 'reconstruct', images });
  }

  /** VAE only: n images decoded from z ~ N(0, I); the same seed gives the same images. */
  sample(n: number, seed: number = Math.floor(Math.random() * 2 ** 32)): Promise<Float32Array> {
    if (this.info.kind !== 'vae') return Promise.reject(new ShapeError('sample() needs a variational autoencoder (kind "vae"); this model is a plain autoencoder'));
    if (!Number.isInteger(n) || n < 1) return Promise.reject(new ArgumentError(`sample: n must be a positive integer, found ${n}`));
    if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) return Promise.reject(new ArgumentError(`sample: seed must be an integer in [0, 2^32), found ${seed}`));
    return this.run({ op: 'sample', n, seed });
  }

  /** Frees the model's memory; later calls reject. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.executor.dispose();
  }

  private run(task: Parameters<Executor['run']>[0]): Promise<Float32Array> {
    if (this.disposed) return Promise.reject(new ShapeError('this model was disposed'));
    return this.executor.run(task);
  }
}
