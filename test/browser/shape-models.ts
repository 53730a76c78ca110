// Test models of other input shapes, each with the preprocessing a model file records:
// 32 x 32 x 3 RGB pictures (a conv model on standardised pixels, a dense one on pixels
// scaled by 255), 20 x 24 x 1 grey pictures (not square, min-max) and a 13-feature table
// (standardised). Freshly initialised weights on the
// deterministic build: the tests compare runtimes, not quality.

import { createKernels, createModel, encodeModel, fitNormalization, type Autoencoder, type TrainingRecord } from '../../src/index.js';

export const RGB_SHAPE = [32, 32, 3];
export const TABLE_FEATURES = 13;
const TRAINING: TrainingRecord = { preset: 'custom', loss: 'mse', optimizer: { name: 'adam' }, noise: 0, l1: 0, beta: 1, seed: 3 };

export interface ShapeModel {
  node: Autoencoder;
  bytes: Uint8Array;
}

/** n RGB pictures 32 x 32 as uint8 HWC: smooth colour ramps, different per sample. */
export function rgbPictures(n: number): Uint8Array {
  const out = new Uint8Array(n * 32 * 32 * 3);
  for (let i = 0, k = 0; i < n; i++) {
    for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) out.set([(x * 8 + i * 37) % 256, (y * 8 + i * 11) % 256, ((x + y) * 4 + i * 53) % 256], (k++) * 3);
  }
  return out;
}

/** n table rows of 13 features on different scales (one constant). */
export function tableRows(n: number): Float64Array {
  return Float64Array.from({ length: n * TABLE_FEATURES }, (_, k) => {
    const f = k % TABLE_FEATURES;
    return f === 7 ? 2.5 : Math.sin(k * 0.7 + f) * 10 ** (f % 4) + f * 3;
  });
}

async function make(preset: string, inputShape: number[], output: 'sigmoid' | 'linear', kind: 'standard' | 'scale' | 'minmax', data: Uint8Array | Float64Array, seed: number): Promise<ShapeModel> {
  const node = await createModel(preset, { inputShape, output, ...(preset === 'conv' ? {} : { latent: 16 }), seed, kernels: await createKernels({ deterministic: true }) });
  node.preprocessing = fitNormalization(kind, data, inputShape);
  return { node, bytes: encodeModel(node, TRAINING) };
}

export const GREY_SHAPE = [20, 24, 1];

export async function makeShapeModels(): Promise<{ rgbConv: ShapeModel; rgbDense: ShapeModel; grey: ShapeModel; table: ShapeModel; dispose(): void }> {
  const pictures = rgbPictures(12);
  const rgbConv = await make('conv', RGB_SHAPE, 'linear', 'standard', pictures, 7);
  const rgbDense = await make('dense', RGB_SHAPE, 'sigmoid', 'scale', pictures, 8);
  // Grey 20 x 24: the first channel of the RGB pictures, cut to size.
  const greyPictures = Uint8Array.from({ length: 12 * 20 * 24 }, (_, k) => {
    const i = Math.floor(k / 480), y = Math.floor((k % 480) / 24), x = k % 24;
    return pictures[((i * 32 + y) * 32 + x) * 3]!;
  });
  const grey = await make('dense', GREY_SHAPE, 'sigmoid', 'minmax', greyPictures, 10);
  const table = await make('dense', [TABLE_FEATURES], 'linear', 'standard', tableRows(40), 9);
  return { rgbConv, rgbDense, grey, table, dispose: () => [rgbConv, rgbDense, grey, table].forEach((m) => m.node.dispose()) };
}
