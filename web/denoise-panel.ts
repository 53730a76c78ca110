// "Denoiser": a test digit, the same digit with Gaussian noise of a chosen strength, and
// the model's reconstruction of the noisy one, with both errors against the clean digit.

import { drawImage, type BrowserModel } from '../src/browser/index.js';
import type { DigitPack } from './digit-pack.js';
import { toModel, toPixels } from './model-space.js';
import { addNoise, gaussianField } from './noise.js';
import { byId, clearCanvas, coalesce, fmtMs, mse } from './ui.js';

const PIXELS = 784;

export class DenoisePanel {
  private model: BrowserModel | null = null;
  private readonly noise = byId<HTMLInputElement>('noise');
  private readonly index = byId<HTMLInputElement>('digit-index');
  private readonly clean = byId<HTMLCanvasElement>('denoise-clean');
  private readonly noisy = byId<HTMLCanvasElement>('denoise-noisy');
  private readonly output = byId<HTMLCanvasElement>('denoise-output');
  private readonly refresh: () => Promise<void>;

  constructor(
    private readonly digits: DigitPack,
    onError: (err: unknown) => void,
  ) {
    this.refresh = coalesce(() => this.render(), onError);
    for (const c of [this.clean, this.noisy, this.output]) clearCanvas(c);
    this.index.max = String(digits.n - 1);
    this.index.value = '7';
    this.noise.addEventListener('input', () => void this.refresh());
    this.index.addEventListener('input', () => void this.refresh());
    byId('denoise-random').addEventListener('click', () => {
      this.index.value = String(Math.floor(Math.random() * digits.n));
      void this.refresh();
    });
  }

  async setModel(model: BrowserModel): Promise<void> {
    this.model = model;
    const trainedNoise = model.info.training.noise;
    byId('denoise-hint').textContent =
      'Gaussian noise is added to a test digit (clipped to [0, 1]); the model reconstructs the noisy picture. ' +
      (trainedNoise > 0 ? `This model was trained as a denoiser (noise σ = ${trainedNoise}).` : 'This model was trained on clean digits; the conv preset is trained as a denoiser.');
    await this.refresh();
  }

  private async render(): Promise<void> {
    const model = this.model;
    if (!model) return;
    const i = this.index.valueAsNumber;
    const sigma = this.noise.valueAsNumber;
    byId('noise-value').textContent = sigma.toFixed(2);
    byId('digit-value').textContent = `#${i} (${this.digits.labels[i]})`;
    const clean = this.digits.images.slice(i * PIXELS, (i + 1) * PIXELS);
    const noisy = addNoise(clean, gaussianField(PIXELS, i + 1), sigma);
    drawImage(this.clean, clean);
    drawImage(this.noisy, noisy);
    const t0 = performance.now();
    const out = toPixels(model, await model.reconstruct(toModel(model, noisy)));
    const ms = performance.now() - t0;
    if (model !== this.model) return;
    drawImage(this.output, out);
    byId('noisy-caption').textContent = `Noisy · MSE ${mse(noisy, clean).toFixed(4)}`;
    byId('denoised-caption').textContent = `Denoised · MSE ${mse(out, clean).toFixed(4)}`;
    byId('denoise-metric').innerHTML = `reconstruct <b>${fmtMs(ms)}</b>`;
  }
}
