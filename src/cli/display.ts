// Model outputs as pictures: which sample shapes are images, and the values a picture shows.
import type { Autoencoder } from '../models/autoencoder.js';
import { imageSizeOf } from './pictures.js';

/** [H, W], [H, W, 1] and [H, W, 3] samples are drawn as pictures; anything else is written as numbers. */
export function isImageShape(shape: readonly number[]): boolean {
  return imageSizeOf(shape) !== null;
}

/**
 * Values of a model's input or output space as [0, 1] intensities for a picture. Scaled
 * data (`scale` 255, the default for images, or a model without preprocessing) already is;
 * otherwise the values are taken back to the data's units and mapped from 0..255 when they
 * look like 8-bit pixels (all in [0, 255], some above 1), else from the range of `reference`
 * (the originals shown beside them), so originals and reconstructions share one scale.
 */
export function displayValues(model: Autoencoder, values: Float32Array, reference: Float32Array = values): Float32Array {
  const norm = model.preprocessing;
  if (!norm || norm.kind === 'none' || (norm.kind === 'scale' && norm.scale === 255)) return values;
  const data = model.denormalize(values);
  const ref = reference === values ? data : model.denormalize(reference);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < ref.length; i++) {
    lo = Math.min(lo, ref[i]!);
    hi = Math.max(hi, ref[i]!);
  }
  const pixels = lo >= 0 && hi <= 255 && hi > 1;
  const [from, to] = pixels ? [0, 255] : lo >= 0 && hi <= 1 ? [0, 1] : [lo, hi > lo ? hi : lo + 1];
  return data.map((v) => (v - from) / (to - from));
}
