// Renders the figures a training run produces, from synthetic data, and checks they
// encode to valid PNGs. With VIZ_SAMPLES_DIR set (e.g. /tmp/viz-samples) it also writes
// them there, for looking at: `VIZ_SAMPLES_DIR=/tmp/viz-samples npx vitest run test/viz`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { normalAt } from '../../src/random/generator.js';
import { imageGrid, linePlot, manifoldGrid, Raster, scatterPlot, toPng, drawText, toMnistInput } from '../../src/viz/index.js';
import { comparisonGrid } from '../../src/cli/pictures.js';
import { batch, clusteredPoints, colourLike, mnistLike, strokeImage } from './synthetic.js';

const dir = process.env.VIZ_SAMPLES_DIR;

function save(name: string, r: Raster): void {
  const png = toPng(r);
  const back = decode(png);
  expect([back.width, back.height]).toEqual([r.width, r.height]);
  if (dir) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, name), png);
  }
}

/** A blurred, dimmed copy, standing in for an autoencoder's reconstruction. */
function blurred(im: Float32Array): Float32Array {
  const out = new Float32Array(784);
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      let acc = 0;
      let n = 0;
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
        const v = im[(y + dy) * 28 + x + dx];
        if (v !== undefined && x + dx >= 0 && x + dx < 28) { acc += v; n++; }
      }
      out[y * 28 + x] = Math.min(1, (acc / n) * 1.2);
    }
  }
  return out;
}

describe('sample pictures', () => {
  it('image grid: originals, noisy, reconstructed', () => {
    const originals = Array.from({ length: 10 }, (_, d) => mnistLike(d, d + 1));
    const noisy = originals.map((im, k) => im.map((v, i) => Math.min(1, Math.max(0, v + 0.35 * normalAt(k, i)))));
    save('grid.png', imageGrid([
      { label: 'original', images: batch(originals), count: 10 },
      { label: 'noisy', images: batch(noisy), count: 10 },
      { label: 'denoised', images: batch(originals.map(blurred)), count: 10 },
    ], { title: 'Denoising autoencoder, epoch 10' }));
    save('grid-inverted.png', imageGrid([
      { label: 'original', images: batch(originals), count: 10 },
      { label: 'reconstructed', images: batch(originals.map(blurred)), count: 10 },
    ], { invert: true }));
    const many = Array.from({ length: 24 }, (_, k) => mnistLike(k % 10, 100 + k));
    save('grid-wrapped.png', imageGrid([
      { label: 'samples', images: batch(many), count: 24 },
      { label: 'more', images: batch(many.slice(0, 9)), count: 9 },
    ], { cols: 8, scale: 1 }));
  });

  it('colour grids at 32 x 32, 64 x 64, 256 x 256 and 24 x 48', () => {
    for (const [h, w, n] of [[32, 32, 20], [64, 64, 12], [256, 256, 6], [24, 48, 10]] as const) {
      const size = { height: h, width: w, channels: 3 as const };
      const originals = batch(Array.from({ length: n }, (_, k) => colourLike(k, w, h)));
      const recon = originals.map((v, i) => 0.8 * v + 0.1 + 0.05 * Math.sin(i));
      const rows = [{ label: 'original', images: originals }, { label: 'reconstructed', images: recon }];
      save(`grid-rgb-${h}x${w}.png`, comparisonGrid(rows, n, size, `conv: ${h}x${w} RGB test images`));
    }
  });

  it('manifold', () => {
    const n = 15;
    const tiles = Array.from({ length: n * n }, (_, k) => mnistLike(Math.floor(((k % n) + Math.floor(k / n)) / 3) % 10, k));
    save('manifold.png', manifoldGrid(batch(tiles), n, { title: 'VAE latent manifold' }));
  });

  it('loss plot', () => {
    const train = Array.from({ length: 10 }, (_, e) => 0.09 + 0.2 * Math.exp(-e / 2));
    const test = Array.from({ length: 10 }, (_, e) => 0.012 + 0.04 * Math.exp(-e / 2.5));
    save('loss.png', linePlot({
      title: 'Training loss (dense, latent 64)', xLabel: 'epoch', yLabel: 'loss',
      series: [{ name: 'train loss (BCE)', values: train }, { name: 'test MSE', values: test }],
    }));
    save('loss-linear.png', linePlot({
      title: 'Linear axis, a NaN at epoch 4', xLabel: 'epoch', yLabel: 'MSE',
      series: [{ name: 'test MSE', values: test.map((v, i) => (i === 3 ? NaN : v)) }], logY: false,
    }));
    const elbo = Array.from({ length: 60 }, (_, e) => 150 + 400 * Math.exp(-e / 4));
    const mse = Array.from({ length: 60 }, (_, e) => 0.03 + 0.05 * Math.exp(-e / 6));
    save('loss-vae.png', linePlot({
      title: 'VAE, 60 epochs', xLabel: 'epoch', yLabel: 'loss',
      series: [{ name: 'train loss (ELBO)', values: elbo }, { name: 'test MSE', values: mse, color: '#d62728' }],
    }));
    save('loss-one-epoch.png', linePlot({
      title: 'One epoch', xLabel: 'epoch', yLabel: 'loss',
      series: [{ name: 'train', values: [0.21] }, { name: 'test', values: [0.034] }],
    }));
  });

  it('latent scatter', () => {
    save('scatter.png', scatterPlot({
      title: 'Latent space (VAE, z_mean)', xLabel: 'z[0]', yLabel: 'z[1]', points: clusteredPoints(2000),
    }));
  });

  it('font sheet and preprocessing', () => {
    const r = new Raster(760, 200);
    const lines = [' !"#$%&\'()*+,-./0123456789:;<=>?', '@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_', '`abcdefghijklmnopqrstuvwxyz{|}~',
      'The quick brown fox jumps over the lazy dog: 12.5% (x/y) = -3e-4; a_b'];
    lines.forEach((l, i) => drawText(r, l, 10, 10 + i * 24, [0x22, 0x22, 0x22], { scale: 2 }));
    drawText(r, 'scale 1: reconstructed 0.0125', 10, 120, [0, 0, 0]);
    drawText(r, 'scale 3: Loss', 10, 140, [0, 0, 0], { scale: 3 });
    save('font.png', r);

    // A canvas drawing (black on white, 200 x 120) and what the model would see.
    const ink = strokeImage(2, 200, 120, [70, 15, 60, 90], 6);
    const rgba = new Uint8ClampedArray(200 * 120 * 4);
    ink.forEach((v, i) => rgba.set([255 * (1 - v), 255 * (1 - v), 255 * (1 - v), 255], i * 4));
    const canvas = new Float32Array(200 * 120).map((_, i) => 1 - ink[i]!);
    const input = toMnistInput({ width: 200, height: 120, data: rgba, channels: 4 });
    const fig = imageGrid([{ label: 'model input', images: input, count: 1 }], { scale: 4 });
    const both = new Raster(200 + 40 + fig.width, Math.max(120, fig.height) + 20);
    both.blitGray(canvas, 200, 120, 10, 10);
    for (let y = 0; y < fig.height; y++) for (let x = 0; x < fig.width; x++) both.setPixel(230 + x, 10 + y, fig.getPixel(x, y));
    save('preprocess.png', both);
  });
});
