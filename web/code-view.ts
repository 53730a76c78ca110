// A picture of one code: a bar per value for flat codes, or one small heat map per
// channel for convolutional codes [h, w, c]. Values are scaled by a fixed `scale` (from
// the test digits' codes, see codeScale) so the picture does not rescale at every stroke.

const POSITIVE = [53, 88, 214];
const NEGATIVE = [224, 98, 47];
/** Widest bar: a 2-value code should look like two bars, not two slabs. */
const MAX_BAR = 28;

export function drawCode(canvas: HTMLCanvasElement, code: Float32Array, shape: readonly number[], scale: number): void {
  const ctx = canvas.getContext('2d')!;
  const { width: W, height: H } = canvas;
  ctx.clearRect(0, 0, W, H);
  const s = scale > 0 ? scale : 1;
  if (shape.length === 3 && shape[2]! > 1) return heatMaps(ctx, code, shape as [number, number, number], s, W, H);
  bars(ctx, code, s, W, H);
}

function colour(v: number, alpha = 1): string {
  const [r, g, b] = v >= 0 ? POSITIVE : NEGATIVE;
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

/** One bar per value, at most MAX_BAR px wide and centred, from a zero line. */
function bars(ctx: CanvasRenderingContext2D, code: Float32Array, s: number, W: number, H: number): void {
  const n = code.length;
  const signed = code.some((v) => v < 0);
  const base = signed ? Math.floor(H / 2) : H - 1;
  const span = signed ? H / 2 - 1 : H - 2;
  const w = Math.min(MAX_BAR, W / n);
  const x0 = (W - w * n) / 2;
  const pad = w > 3 ? Math.max(0.5, w * 0.15) : 0;
  ctx.fillStyle = '#c9ceda';
  ctx.fillRect(x0, base, w * n, 1);
  for (let i = 0; i < n; i++) {
    const v = Math.max(-1, Math.min(1, code[i]! / s));
    const h = Math.max(1, Math.abs(v) * span);
    ctx.fillStyle = colour(v);
    ctx.fillRect(x0 + i * w + pad, v >= 0 ? base - h : base + 1, Math.max(1, w - 2 * pad), h);
  }
}

/** Channel maps side by side: value (y, x, c) at code[(y * w + x) * c + k] (NHWC). */
function heatMaps(ctx: CanvasRenderingContext2D, code: Float32Array, [h, w, c]: [number, number, number], s: number, W: number, H: number): void {
  const gap = 6;
  const cell = Math.max(1, Math.floor(Math.min(H / h, (W - gap * (c - 1)) / (c * w))));
  const mapW = cell * w;
  const x0 = Math.floor((W - (c * mapW + (c - 1) * gap)) / 2);
  for (let k = 0; k < c; k++) {
    const left = x0 + k * (mapW + gap);
    ctx.fillStyle = '#f3f4f7';
    ctx.fillRect(left, 0, mapW, cell * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const v = Math.max(-1, Math.min(1, code[(y * w + x) * c + k]! / s));
        ctx.fillStyle = colour(v, Math.abs(v));
        ctx.fillRect(left + x * cell, y * cell, cell, cell);
      }
    }
  }
}

/** The 99th percentile of |value| over many codes: a scale that one outlier cannot flatten. */
export function codeScale(codes: Float32Array): number {
  const abs = Float32Array.from(codes, Math.abs).sort();
  return abs[Math.min(abs.length - 1, Math.floor(0.99 * abs.length))] || 1;
}
