// Evaluation on a data set: reconstruction metrics on clean inputs (Keras' mean over
// elements), and where they apply the denoising error, the VAE's negative ELBO and, for a
// model with a classifier (models/classifier.ts), its accuracy and confusion matrix, from
// the same forward pass.

import type { Dataset } from '../data/dataset.js';
import { RandomPurpose, RandomStream, streamKey } from '../random/streams.js';
import type { RunContext } from '../nn/layer.js';
import type { Autoencoder } from '../models/autoencoder.js';
import { Confusion, accuracy } from './metrics.js';
import { inUnitRange } from '../data/storage.js';
import { addInputNoise, inputNoiseFor, type NoiseKind } from './noise.js';
import { labelData } from './step.js';
import { StreamData, type BatchData } from './stream.js';
import { checkOptionKeys, optionKeys } from '../options.js';

export interface Metrics {
  n: number;
  /** Mean squared error per pixel, clean input -> reconstruction (a VAE decodes z_mean). */
  mse: number;
  /**
   * Binary cross-entropy per pixel, Keras' clipping, same reconstructions; only for data in
   * [0, 1] (a cross-entropy of targets beyond it is no loss at all: it can go negative).
   */
  bce?: number;
  /** Models trained with input noise: MSE of the clean target vs the reconstruction of a noisy input. */
  denoise_mse?: number;
  /** VAE on data in [0, 1]: negative ELBO in nats per image (summed BCE + KL, one eps sample per image). */
  nelbo?: number;
  /** Models with a classifier: the share of samples whose largest logit is their label's. */
  accuracy?: number;
}

export interface EvaluateOptions {
  /** Input noise level for denoise_mse (the training noise); 0 or absent skips it. */
  noise?: number;
  /** The kind of that noise (the training noise's; default gaussian). */
  noiseKind?: NoiseKind;
  /** Seed of the evaluation noise and eps (fixed, so results repeat). */
  seed?: number;
  batch?: number;
}

const EVAL_SEED = 0x5eed;

/**
 * Whether the model's output reconstructs its input: not when the output is its classifier
 * (a classifier on an encoder, src/train/classify.ts), whose logits have no MSE.
 */
export function reconstructs(model: Autoencoder): boolean {
  return model.classifier === null || model.graph().output !== model.classifier;
}

const EVALUATE_KEYS = optionKeys<EvaluateOptions>()('noise', 'noiseKind', 'seed', 'batch');

export function evaluate(model: Autoencoder, ds: Dataset, options: EvaluateOptions = {}): Metrics {
  checkOptionKeys(options, EVALUATE_KEYS, 'evaluate(model, dataset, options)');
  return evaluateWithConfusion(model, ds, options).metrics;
}

/** As evaluate, with the classifier's confusion matrix (rows true class) when the model has one, else null. */
export function evaluateWithConfusion(model: Autoencoder, ds: Dataset, options: EvaluateOptions = {}): { metrics: Metrics; confusion: Confusion | null } {
  checkOptionKeys(options, EVALUATE_KEYS, 'evaluateWithConfusion(model, dataset, options)');
  const kernels = model.kernels;
  const batch = Math.min(options.batch ?? 256, Math.max(ds.n, 1));
  const noise = inputNoiseFor(model, options.noiseKind ?? 'gaussian', options.noise ?? 0, ds);
  const unit = inUnitRange(ds);
  const vae = model.kind === 'vae' && unit;
  const data = new StreamData(kernels, ds, model.inputShape, 'evaluation data', batch);
  const g = model.compile({ batch, training: false, loss: 'bce', separateInput: noise !== null });
  let labels: BatchData | null = null;
  const seed = options.seed ?? EVAL_SEED;
  const ctx: RunContext = { kernels, training: false, noise: new RandomStream(streamKey(seed, RandomPurpose.sample)) };
  const inputNoise = new RandomStream(streamKey(seed, RandomPurpose.noise));
  let mse = 0;
  let bce = 0;
  let denoise = 0;
  let nelbo = 0;
  const classifier = model.classifier;
  // Without a reconstruction (a classifier's output) only the confusion matrix: mse is NaN.
  const recon = reconstructs(model);
  const confusion = classifier === null ? null : new Confusion(model.labelCount!);
  try {
    labels = g.label ? labelData(kernels, ds, model.labelCount!, 'evaluation data') : null;
    for (let start = 0; start < ds.n; start += batch) {
      const n = Math.min(batch, ds.n - start);
      data.gather(null, start, n, g.target.offset);
      labels?.gather(null, start, n, g.label!.offset);
      if (noise) kernels.copy(g.target.offset, g.input.offset, n * data.size);
      g.forward(ctx, n, false);
      confusion?.addHeap(kernels.heap, g.valueOf(classifier!).offset, ds.labels.subarray(start, start + n));
      if (!recon) continue;
      mse += kernels.sum(g.perSample('mse', n), n);
      bce += kernels.sum(g.perSample('bce', n), n);
      if (vae) {
        g.forward(ctx, n, true);
        g.loss(n);
        nelbo += (g.reconValue + g.klValue) * n;
      }
      if (noise) {
        addInputNoise(kernels, g.target.offset, g.input.offset, n * data.size, noise, inputNoise);
        g.forward(ctx, n, false);
        denoise += kernels.sum(g.perSample('mse', n), n);
      }
    }
  } finally {
    g.release();
    data.free();
    labels?.free();
  }
  const m: Metrics = { n: ds.n, mse: recon ? mse / ds.n : NaN, ...(unit && recon ? { bce: bce / ds.n } : {}) };
  if (noise) m.denoise_mse = denoise / ds.n;
  if (vae) m.nelbo = nelbo / ds.n;
  if (confusion) m.accuracy = accuracy(confusion);
  return { metrics: m, confusion };
}
