// "Draw a digit": a pointer-driven pad (mouse, pen or touch), or a picture opened or
// dropped onto it; every change is turned into the model's input (an MNIST-style digit for
// 28 x 28 x 1 models, the picture resized to the model's shape, grey or RGB, otherwise)
// and reconstructed live, with the inference time shown.

import { drawImage, DataError, type BrowserModel } from '../src/browser/index.js';
import type { DigitPack } from './digit-pack.js';
import { codeScale, drawCode } from './code-view.js';
import { takesDigits, toModel, toPixels } from './model-space.js';
import { byId, canvasPoint, clearCanvas, coalesce, ctx2d, fmtMs, mse } from './ui.js';

/** Stroke width on the 280 px pad: MNIST strokes are about 2-3 px of a 20 px box. */
const STROKE = 22;

export class DrawPanel {
  private model: BrowserModel | null = null;
  private readonly pad = byId<HTMLCanvasElement>('draw-pad');
  private readonly input = byId<HTMLCanvasElement>('draw-input');
  private readonly output = byId<HTMLCanvasElement>('draw-output');
  private readonly metric = byId('draw-metric');
  private readonly code = byId<HTMLCanvasElement>('draw-code');
  /** A fixed scale for the code picture, from the test digits' codes. */
  private codeScale = 1;
  private codeCaption = '';
  // imageToInput reads the pad back after every stroke: keep its pixels on the CPU.
  private readonly ctx = ctx2d(this.pad, true);
  private inked = false;
  private last: { x: number; y: number } | null = null;
  readonly refresh: () => Promise<void>;

  constructor(
    private readonly digits: DigitPack,
    onError: (err: unknown) => void,
  ) {
    this.refresh = coalesce(() => this.render(), onError);
    this.clear();
    this.pad.addEventListener('pointerdown', (e) => this.down(e));
    this.pad.addEventListener('pointermove', (e) => this.move(e));
    for (const type of ['pointerup', 'pointercancel'] as const) this.pad.addEventListener(type, () => this.up());
    byId('draw-clear').addEventListener('click', () => {
      this.clear();
      void this.refresh();
    });
    byId('draw-digit').addEventListener('click', () => void this.trace(Math.floor(Math.random() * this.digits.n)));
    byId<HTMLInputElement>('picture-file').addEventListener('change', (e) => {
      const file = (e.target as HTMLInputElement).files?.[0];
      if (file) this.openPicture(file).catch(onError);
    });
  }

  /** Paints a picture (any size, RGB or grey) onto the pad, fitted inside it on black. */
  async openPicture(file: Blob): Promise<void> {
    const bitmap = await createImageBitmap(file);
    this.clear();
    const k = Math.min(this.pad.width / bitmap.width, this.pad.height / bitmap.height);
    const w = bitmap.width * k, h = bitmap.height * k;
    this.ctx.drawImage(bitmap, (this.pad.width - w) / 2, (this.pad.height - h) / 2, w, h);
    bitmap.close();
    this.inked = true;
    await this.refresh();
  }

  async setModel(model: BrowserModel): Promise<void> {
    this.model = model;
    // Other shapes have no test digits to scale the code picture by: each code scales itself.
    this.codeScale = takesDigits(model) ? codeScale(await model.encode(toModel(model, this.digits.images))) : 0;
    const { codeShape, codeSize, kind, inputShape } = model.info;
    byId('draw-hint').textContent = takesDigits(model)
      ? 'Draw with the mouse or a finger. The model sees your drawing the way MNIST digits were made (cropped, scaled to 20×20, centred) and reconstructs it as you draw.'
      : `This model takes ${inputShape.join('×')} pictures: the pad (draw on it, or open a picture) is stretched to that size, ${inputShape[2] === 3 ? 'in colour' : 'in grey'}.`;
    byId('draw-input-caption').textContent = `Model input, ${inputShape.slice(0, 2).join('×')}${inputShape[2] === 3 ? ' RGB' : ''}`;
    this.codeCaption =
      `The code: ${codeSize} values` +
      (codeShape.length === 3 ? ` (${codeShape[2]} feature maps of ${codeShape[0]}×${codeShape[1]})` : '') +
      (kind === 'vae' ? ', z_mean' : '');
    await (this.inked ? this.refresh() : this.trace(3));
  }

  /** Copies a test digit onto the pad, smoothly enlarged, as if it had been drawn. */
  private trace(index: number): Promise<void> {
    this.clear();
    drawImage(this.ctx, this.digits.images, { index, smooth: true, x: 28, y: 28, w: 224, h: 224 });
    this.inked = true;
    return this.refresh();
  }

  private clear(): void {
    clearCanvas(this.pad);
    this.inked = false;
  }

  private down(e: PointerEvent): void {
    this.pad.setPointerCapture(e.pointerId);
    this.last = canvasPoint(this.pad, e);
    this.stroke(this.last, this.last);
  }

  private move(e: PointerEvent): void {
    if (!this.last) return;
    const p = canvasPoint(this.pad, e);
    this.stroke(this.last, p);
    this.last = p;
  }

  private up(): void {
    this.last = null;
  }

  private stroke(a: { x: number; y: number }, b: { x: number; y: number }): void {
    const { ctx } = this;
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = STROKE;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(a.x, a.y);
    ctx.lineTo(b.x + 0.01, b.y);
    ctx.stroke();
    this.inked = true;
    void this.refresh();
  }

  private async render(): Promise<void> {
    const model = this.model;
    if (!model) return;
    let input: Float32Array | null = null;
    if (this.inked) {
      try {
        input = model.imageToInput(this.pad);
      } catch (err) {
        if (!(err instanceof DataError)) throw err; // a blank pad is not an error
      }
    }
    if (!input) {
      clearCanvas(this.input);
      clearCanvas(this.output);
      this.code.getContext('2d')!.clearRect(0, 0, this.code.width, this.code.height);
      byId('draw-code-caption').textContent = this.codeCaption;
      this.metric.textContent = 'Draw a digit to start';
      return;
    }
    model.drawImage(this.input, input);
    const t0 = performance.now();
    const out = await model.reconstruct(input);
    const ms = performance.now() - t0;
    const code = await model.encode(input);
    if (model !== this.model) return; // a newer model took over meanwhile
    model.drawImage(this.output, out);
    drawCode(this.code, code, model.info.codeShape, this.codeScale || codeScale(code));
    // A short code is easier read as numbers than as bars.
    const values = code.length <= 8 ? ` = (${Array.from(code, (v) => v.toFixed(2)).join(', ')})` : '';
    byId('draw-code-caption').textContent = `${this.codeCaption}${values}; blue positive, orange negative`;
    this.metric.innerHTML = `reconstruct <b>${fmtMs(ms)}</b> · MSE <b>${mse(toPixels(model, input), toPixels(model, out)).toFixed(4)}</b> (pixels in [0, 1])`;
  }
}
