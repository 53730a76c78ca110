// "Conditional samples": for a conditional VAE (a decoder that reads the label), pick a
// class and see samples of it: the same prior codes decoded as each class you pick, so a
// sample keeps its style (slant, thickness) when the digit changes; "New samples" draws
// other codes.

import type { BrowserModel } from '../src/browser/index.js';
import { byId, clearCanvas, coalesce, fmtMs } from './ui.js';

/** Samples shown at once. */
const SAMPLES = 8;

export class CvaePanel {
  private model: BrowserModel | null = null;
  private seed = 1;
  private readonly select = byId<HTMLSelectElement>('cvae-digit');
  private readonly canvases: HTMLCanvasElement[];
  private readonly refresh: () => Promise<void>;

  constructor(onError: (err: unknown) => void) {
    this.refresh = coalesce(() => this.render(), onError);
    const grid = byId('cvae-samples');
    this.canvases = Array.from({ length: SAMPLES }, (_, i) => {
      const c = Object.assign(document.createElement('canvas'), { width: 84, height: 84, className: 'digit small', id: `cvae-sample-${i}` });
      clearCanvas(c);
      grid.append(c);
      return c;
    });
    this.select.addEventListener('change', () => void this.refresh());
    byId('cvae-new').addEventListener('click', () => {
      this.seed++;
      void this.refresh();
    });
  }

  /** Shows the panel for a conditional VAE (and lists its classes by name); hides it otherwise. */
  async setModel(model: BrowserModel): Promise<void> {
    const card = byId('cvae-card');
    card.hidden = !model.info.decoderReadsLabels;
    if (card.hidden) {
      this.model = null;
      return;
    }
    this.model = model;
    const names = model.info.preprocessing?.labels;
    this.select.replaceChildren(...Array.from({ length: model.info.labels! }, (_, c) => new Option(names?.[c] ?? String(c), String(c))));
    this.select.value = String(Math.min(7, model.info.labels! - 1));
    await this.refresh();
  }

  private async render(): Promise<void> {
    const model = this.model;
    if (!model) return;
    const digit = Number(this.select.value);
    const t0 = performance.now();
    const out = await model.sample(SAMPLES, this.seed, new Array<number>(SAMPLES).fill(digit));
    const ms = performance.now() - t0;
    if (model !== this.model) return;
    this.canvases.forEach((c, i) => model.drawImage(c, out, { index: i }));
    byId('cvae-metric').innerHTML = `sample ×${SAMPLES} <b>${fmtMs(ms)}</b> · seed ${this.seed}`;
  }
}
