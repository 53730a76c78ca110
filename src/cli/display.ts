// Model outputs as pictures: which sample shapes are images, and the values a picture shows.
import type { Autoencoder } from '../models/autoencoder.js';
import { displayRange } from '../viz/display-range.js';
import { imageSizeOf } from './pictures.js';

/** [H, W], [H, W, 1] and [H, W, 3] samples are drawn as pictures; anything else is written as numbers. */
export function isImageShape(shape: readonly number[]): boolean {
  return imageSizeOf(shape) !== null;
}

/**
 * Values of a model's input or output space as [0, 1] intensities for a picture: taken
 * back to the data's units, then mapped from displayRange (src/viz/display-range.ts, the
 * browser's rule: 8-bit pixels keep their scale, data of unknown range is stretched) of
 * `reference` (the originals shown beside them), so originals and outputs share one scale.
 */
export function displayValues(model: Autoencoder, values: Float32Array, reference: Float32Array = values): Float32Array {
  const norm = model.preprocessing;
  if (!norm || (norm.kind === 'scale' && norm.scale === 255)) return values;
  const data = model.denormalize(values);
  const [lo, hi] = displayRange(norm, reference === values ? data : model.denormalize(reference));
  return data.map((v) => (v - lo) / (hi - lo));
}
