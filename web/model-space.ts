// The demo's digits are pixels in [0, 1]; a model may take them otherwise (its file's
// preprocessing: scaled, min-max or standardised 0..255 pixels). These convert both ways,
// so every panel shows pictures and errors in pixel terms whatever the model.

import type { BrowserModel } from '../src/browser/index.js';

const PIXEL_SCALE = 255;

/** 28 x 28 x 1 digit models take the test digits and the latent / denoise panels. */
export function takesDigits(model: BrowserModel): boolean {
  return model.info.inputShape.join() === '28,28,1';
}

/** Pixels in [0, 1] -> the model's input. Files without preprocessing take them as they are. */
export function toModel(model: BrowserModel, pixels: Float32Array): Float32Array {
  return model.info.preprocessing ? model.normalize(pixels.map((v) => v * PIXEL_SCALE)) : pixels;
}

/** The model's outputs (or inputs) -> pixels in [0, 1] (for errors; drawing uses model.drawImage). */
export function toPixels(model: BrowserModel, values: Float32Array): Float32Array {
  return model.info.preprocessing ? model.denormalize(values).map((v) => v / PIXEL_SCALE) : values;
}
