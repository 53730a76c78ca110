// The pictures the commands write.

import type { Dataset } from '../data/dataset.js';
import type { Autoencoder } from '../models/autoencoder.js';
import type { EpochRecord } from '../train/trainer.js';
import { imageGrid, linePlot, toPng } from '../viz/index.js';

/** First `count` test digits over their reconstructions. */
export function reconstructionsPng(model: Autoencoder, test: Dataset, count = 12, title?: string): Uint8Array {
  const n = Math.min(count, test.n);
  const size = model.inputSize;
  const originals = test.images.subarray(0, n * size);
  const recon = model.reconstruct(originals);
  return toPng(imageGrid([
    { label: 'original', images: originals, count: n },
    { label: 'reconstructed', images: recon, count: n },
  ], { title, scale: 2 }));
}

/** Train loss and test MSE per epoch (and val loss when present). */
export function lossPng(epochs: readonly EpochRecord[], title = 'training'): Uint8Array {
  const series = [
    { name: 'train loss', values: epochs.map((e) => e.loss) },
    { name: 'test MSE', values: epochs.map((e) => e.test_mse) },
  ];
  if (epochs.some((e) => e.val_loss !== undefined)) series.push({ name: 'val loss', values: epochs.map((e) => e.val_loss ?? NaN) });
  return toPng(linePlot({ title, xLabel: 'epoch', yLabel: 'loss', series }));
}
