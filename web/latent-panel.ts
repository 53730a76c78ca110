// "Latent explorer": move through a model's code space and watch the decoder's answer.
// A 2-D code gets a clickable manifold (a grid of decoded points); any code gets sliders
// for the dimensions that vary most across the test digits, starting from one digit's code.

import type { BrowserModel } from '../src/browser/index.js';
import type { DigitPack } from './digit-pack.js';
import { toModel } from './model-space.js';
import { byId, canvasPoint, clearCanvas, coalesce, ctx2d, fmtMs, slider } from './ui.js';

/** Sliders shown at most; the rest of the code stays at the starting digit's values. */
const MAX_SLIDERS = 8;
/** Manifold grid: GRID x GRID decoded points. */
const GRID = 12;

interface Axis {
  dim: number;
  lo: number;
  hi: number;
}

export class LatentPanel {
  private model: BrowserModel | null = null;
  private code: Float32Array = new Float32Array(0);
  private axes: Axis[] = [];
  private sliders: ReturnType<typeof slider>[] = [];
  private codes: Float32Array = new Float32Array(0);
  private readonly manifold = byId<HTMLCanvasElement>('manifold');
  private readonly manifoldFigure = byId('manifold-figure');
  private readonly output = byId<HTMLCanvasElement>('latent-output');
  private readonly metric = byId('latent-metric');
  private readonly hint = byId('latent-hint');
  private readonly box = byId('latent-sliders');
  /** The decoded grid without the marker, redrawn under it on every move. */
  private manifoldImage: ImageData | null = null;
  private readonly refresh: () => Promise<void>;

  constructor(
    private readonly digits: DigitPack,
    onError: (err: unknown) => void,
  ) {
    this.refresh = coalesce(() => this.render(), onError);
    clearCanvas(this.output);
    byId('latent-digit').addEventListener('click', () => void this.startFrom(Math.floor(Math.random() * this.digits.n)));
    let dragging = false;
    this.manifold.addEventListener('pointerdown', (e) => {
      dragging = true;
      this.manifold.setPointerCapture(e.pointerId);
      this.pick(e);
    });
    this.manifold.addEventListener('pointermove', (e) => dragging && this.pick(e));
    for (const type of ['pointerup', 'pointercancel'] as const) this.manifold.addEventListener(type, () => (dragging = false));
  }

  async setModel(model: BrowserModel): Promise<void> {
    this.model = model;
    const size = model.info.codeSize;
    // The test digits' codes give each dimension its range and tell which ones matter.
    this.codes = await model.encode(toModel(model, this.digits.images));
    const axes = chooseAxes(this.codes, size, model.info.kind === 'vae');
    // A 2-D code keeps its natural axes (z[0] across, z[1] up); larger ones show the busiest.
    this.axes = size === 2 ? axes.sort((a, b) => a.dim - b.dim) : axes.slice(0, MAX_SLIDERS);
    const shape = model.info.codeShape.join('×');
    this.hint.textContent =
      size === 2
        ? `A ${model.info.kind === 'vae' ? 'VAE' : 'model'} with a 2-D code: every point of the plane decodes to a digit. Click the grid or move the sliders.`
        : `The code has ${size} values (${shape}). The sliders move the ${this.axes.length} that vary most across the test digits; the others keep the starting digit's values.`;
    this.buildSliders();
    this.manifoldFigure.hidden = size !== 2;
    this.manifoldImage = size === 2 ? await this.renderManifold(model) : null;
    await this.startFrom(0);
  }

  private buildSliders(): void {
    this.box.replaceChildren();
    this.sliders = this.axes.map((a) => {
      const s = slider(`z[${a.dim}]`, a.lo, a.hi, (a.hi - a.lo) / 200, (a.lo + a.hi) / 2, (v) => v.toFixed(2), (v) => {
        this.code[a.dim] = v;
        this.drawMarker();
        void this.refresh();
      });
      this.box.append(s.root);
      return s;
    });
  }

  private startFrom(index: number): Promise<void> {
    const size = this.model?.info.codeSize ?? 0;
    this.code = this.codes.slice(index * size, (index + 1) * size);
    this.axes.forEach((a, i) => this.sliders[i]!.set(this.code[a.dim]!));
    this.drawMarker();
    return this.refresh();
  }

  /** Decodes the GRID x GRID points of the 2-D plane in one batch and tiles them. */
  private async renderManifold(model: BrowserModel): Promise<ImageData> {
    const [ax, ay] = this.axes as [Axis, Axis];
    const grid = new Float32Array(GRID * GRID * 2);
    for (let r = 0; r < GRID; r++) {
      for (let c = 0; c < GRID; c++) {
        grid[2 * (r * GRID + c) + ax.dim] = ax.lo + ((c + 0.5) * (ax.hi - ax.lo)) / GRID;
        grid[2 * (r * GRID + c) + ay.dim] = ay.hi - ((r + 0.5) * (ay.hi - ay.lo)) / GRID; // up is +
      }
    }
    const images = await model.decode(grid);
    const ctx = ctx2d(this.manifold);
    const cell = this.manifold.width / GRID;
    for (let i = 0; i < GRID * GRID; i++) {
      model.drawImage(ctx, images, { index: i, x: (i % GRID) * cell, y: Math.floor(i / GRID) * cell, w: cell, h: cell });
    }
    return ctx.getImageData(0, 0, this.manifold.width, this.manifold.height);
  }

  private pick(e: PointerEvent): void {
    if (!this.manifoldImage) return;
    const [ax, ay] = this.axes as [Axis, Axis];
    const p = canvasPoint(this.manifold, e);
    const fx = Math.min(1, Math.max(0, p.x / this.manifold.width));
    const fy = Math.min(1, Math.max(0, p.y / this.manifold.height));
    this.code[ax.dim] = ax.lo + fx * (ax.hi - ax.lo);
    this.code[ay.dim] = ay.hi - fy * (ay.hi - ay.lo);
    this.axes.forEach((a, i) => this.sliders[i]!.set(this.code[a.dim]!));
    this.drawMarker();
    void this.refresh();
  }

  private drawMarker(): void {
    if (!this.manifoldImage) return;
    const [ax, ay] = this.axes as [Axis, Axis];
    const ctx = ctx2d(this.manifold);
    ctx.putImageData(this.manifoldImage, 0, 0);
    const x = ((this.code[ax.dim]! - ax.lo) / (ax.hi - ax.lo)) * this.manifold.width;
    const y = ((ay.hi - this.code[ay.dim]!) / (ay.hi - ay.lo)) * this.manifold.height;
    ctx.lineWidth = 3;
    ctx.strokeStyle = '#ff5a36';
    ctx.beginPath();
    ctx.arc(x, y, 9, 0, 2 * Math.PI);
    ctx.stroke();
  }

  private async render(): Promise<void> {
    const model = this.model;
    if (!model || this.code.length === 0) return;
    const t0 = performance.now();
    const out = await model.decode(this.code);
    const ms = performance.now() - t0;
    if (model !== this.model) return;
    model.drawImage(this.output, out);
    this.metric.innerHTML = `decode <b>${fmtMs(ms)}</b>`;
  }
}

/**
 * Dimensions by decreasing variance over the codes, each with a slider range: a VAE's
 * prior range (-3..3 standard deviations) or the codes' own range with a small margin.
 */
function chooseAxes(codes: Float32Array, size: number, vae: boolean): Axis[] {
  const n = codes.length / size;
  const axes: (Axis & { variance: number })[] = [];
  for (let d = 0; d < size; d++) {
    let sum = 0, sq = 0, lo = Infinity, hi = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = codes[i * size + d]!;
      sum += v;
      sq += v * v;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const mean = sum / n;
    const margin = 0.1 * (hi - lo) || 1;
    axes.push({ dim: d, variance: sq / n - mean * mean, lo: vae ? Math.min(-3, lo) : lo - margin, hi: vae ? Math.max(3, hi) : hi + margin });
  }
  return axes.sort((a, b) => b.variance - a.variance || a.dim - b.dim);
}
