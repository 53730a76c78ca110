// A small live line chart of the training loss against epochs, redrawn whole on each
// point (a few hundred points at most, so this stays cheap).

const PAD = { left: 52, right: 12, top: 12, bottom: 26 };

export class LossChart {
  private points: { x: number; y: number }[] = [];
  private epochs = 1;

  constructor(private readonly canvas: HTMLCanvasElement) {
    this.reset(1);
  }

  reset(epochs: number): void {
    this.points = [];
    this.epochs = epochs;
    this.draw();
  }

  /** x in epochs (fractional), y the running loss. */
  add(x: number, y: number): void {
    if (Number.isFinite(y)) this.points.push({ x, y });
    this.draw();
  }

  private draw(): void {
    const ctx = this.canvas.getContext('2d')!;
    const { width: W, height: H } = this.canvas;
    ctx.clearRect(0, 0, W, H);
    if (this.points.length === 0) {
      ctx.font = '13px system-ui, sans-serif';
      ctx.fillStyle = '#8a93a5';
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      ctx.fillText('The loss appears here while a model trains', W / 2, H / 2);
      return;
    }
    const pw = W - PAD.left - PAD.right;
    const ph = H - PAD.top - PAD.bottom;
    let lo = Math.min(...this.points.map((p) => p.y));
    let hi = Math.max(...this.points.map((p) => p.y));
    if (hi - lo < 1e-9) [lo, hi] = [lo - 0.5 * (Math.abs(lo) || 1), hi + 0.5 * (Math.abs(hi) || 1)];
    const span = hi - lo;
    lo -= 0.05 * span;
    hi += 0.05 * span;
    const X = (x: number) => PAD.left + (x / this.epochs) * pw;
    const Y = (y: number) => PAD.top + (1 - (y - lo) / (hi - lo)) * ph;

    ctx.font = '11px system-ui, sans-serif';
    ctx.fillStyle = '#5d6678';
    ctx.strokeStyle = '#e2e5ec';
    ctx.lineWidth = 1;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (let i = 0; i <= 3; i++) {
      const v = lo + ((hi - lo) * i) / 3;
      const y = Math.round(Y(v)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(PAD.left, y);
      ctx.lineTo(W - PAD.right, y);
      ctx.stroke();
      ctx.fillText(fmt(v), PAD.left - 6, y);
    }
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    const every = Math.ceil(this.epochs / 10);
    for (let e = 0; e <= this.epochs; e += every) ctx.fillText(String(e), X(e), H - PAD.bottom + 6);

    ctx.strokeStyle = '#3558d6';
    ctx.lineWidth = 2;
    ctx.lineJoin = 'round';
    ctx.beginPath();
    this.points.forEach((p, i) => (i === 0 ? ctx.moveTo(X(p.x), Y(p.y)) : ctx.lineTo(X(p.x), Y(p.y))));
    ctx.stroke();
  }
}

function fmt(v: number): string {
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 1 ? v.toFixed(2) : v.toFixed(4);
}
