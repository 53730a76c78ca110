// The budget an architecture must fit before anything is allocated for it. A model file
// is a kilobyte of JSON that can ask for gigabytes (Dense(units = 10^6), UpSampling2D(100)),
// so every size a layer config controls has a cap, and so do the totals. The defaults are
// far above every preset and ordinary MNIST-scale model; pass your own to go beyond them.

import { resolvePositiveLimits } from '../options.js';

export interface ModelLimits {
  /** Parts of a graph (architecture.graph; the default wiring has 2 or 4). */
  maxParts: number;
  /** Layers in one part (encoder, decoder, a VAE head). */
  maxLayersPerPart: number;
  /** Dense units and Conv2D / Conv2DTranspose filters. */
  maxUnits: number;
  /** Each side of a kernel, pooling window or stride. */
  maxWindow: number;
  /** Each UpSampling2D factor. */
  maxUpsample: number;
  /** Values of one sample at any layer's input or output. */
  maxValuesPerLayer: number;
  /** Values of one sample summed over every layer output: the per-sample plan. */
  maxActivationValues: number;
  /** Parameter values in the whole model (4 bytes each, times 4 when training with Adam). */
  maxParams: number;
}

export const DEFAULT_MODEL_LIMITS: Readonly<ModelLimits> = Object.freeze({
  maxParts: 64,
  maxLayersPerPart: 256,
  maxUnits: 65_536,
  maxWindow: 64,
  maxUpsample: 16,
  maxValuesPerLayer: 1 << 22,
  maxActivationValues: 1 << 24,
  maxParams: 1 << 26,
});

/** The defaults overridden by `limits`, each checked to be a positive integer. */
export function resolveLimits(limits: Partial<ModelLimits> = {}): ModelLimits {
  return resolvePositiveLimits(DEFAULT_MODEL_LIMITS, limits, 'model limit');
}
