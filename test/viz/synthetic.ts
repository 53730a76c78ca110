// Synthetic digit-like images and clustered points for viz tests and sample pictures,
// so these tests need no dataset.
import { uniformAt, normalAt } from '../../src/random/generator.js';

/** Distance from point p to segment ab. */
function segmentDistance(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy || 1)));
  return Math.hypot(px - ax - t * dx, py - ay - t * dy);
}

/** Polylines (in a 0..1 box) roughly tracing each digit 0..9. */
const STROKES: number[][][] = [
  [[0.5, 0.05, 0.8, 0.2, 0.85, 0.5, 0.8, 0.8, 0.5, 0.95, 0.2, 0.8, 0.15, 0.5, 0.2, 0.2, 0.5, 0.05]],
  [[0.35, 0.2, 0.55, 0.05, 0.55, 0.95]],
  [[0.2, 0.25, 0.5, 0.05, 0.8, 0.25, 0.75, 0.5, 0.2, 0.95, 0.85, 0.95]],
  [[0.2, 0.1, 0.75, 0.1, 0.45, 0.45, 0.8, 0.65, 0.6, 0.95, 0.2, 0.9]],
  [[0.65, 0.95, 0.65, 0.05, 0.15, 0.65, 0.85, 0.65]],
  [[0.8, 0.05, 0.25, 0.05, 0.2, 0.45, 0.7, 0.45, 0.8, 0.75, 0.55, 0.95, 0.2, 0.85]],
  [[0.75, 0.05, 0.3, 0.45, 0.2, 0.8, 0.5, 0.95, 0.8, 0.75, 0.5, 0.5, 0.25, 0.65]],
  [[0.15, 0.05, 0.85, 0.05, 0.4, 0.95]],
  [[0.5, 0.5, 0.2, 0.3, 0.5, 0.05, 0.8, 0.3, 0.5, 0.5, 0.15, 0.75, 0.5, 0.95, 0.85, 0.75, 0.5, 0.5]],
  [[0.8, 0.35, 0.5, 0.05, 0.2, 0.3, 0.5, 0.5, 0.8, 0.35, 0.75, 0.95]],
];

/**
 * A w x h grayscale image of `digit`, ink 1 on 0, drawn into the box (bx, by, bw, bh)
 * with stroke half-width `radius`, anti-aliased over one pixel.
 */
export function strokeImage(digit: number, w: number, h: number, box: [number, number, number, number], radius: number): Float32Array {
  const [bx, by, bw, bh] = box;
  const out = new Float32Array(w * h);
  for (const line of STROKES[digit % 10]!) {
    for (let k = 0; k + 3 < line.length; k += 2) {
      const ax = bx + line[k]! * bw, ay = by + line[k + 1]! * bh;
      const cx = bx + line[k + 2]! * bw, cy = by + line[k + 3]! * bh;
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const cover = Math.min(1, Math.max(0, radius + 0.5 - segmentDistance(x + 0.5, y + 0.5, ax, ay, cx, cy)));
          if (cover > out[y * w + x]!) out[y * w + x] = cover;
        }
      }
    }
  }
  return out;
}

/** An MNIST-like 28 x 28 digit: 20 px tall, stroke ~2.5 px, a little jitter per seed. */
export function mnistLike(digit: number, seed = 0): Float32Array {
  const jx = (uniformAt(seed, 0) - 0.5) * 3;
  const jy = (uniformAt(seed, 1) - 0.5) * 2;
  const wide = digit === 1 ? 8 : 14 + uniformAt(seed, 2) * 4;
  return strokeImage(digit, 28, 28, [14 - wide / 2 + jx, 4 + jy, wide, 20], 1.1 + uniformAt(seed, 3) * 0.5);
}

/**
 * A w x h RGB photo-like image (HWC, values in [0, 1]): a sky-to-ground gradient, a
 * coloured disc and a digit stroke in a contrasting colour, all varying with `seed`.
 */
export function colourLike(seed: number, w: number, h: number): Float32Array {
  const hue = uniformAt(seed, 10);
  const sky = [0.35 + 0.5 * hue, 0.55, 0.95 - 0.5 * hue];
  const ground = [0.3, 0.5 + 0.3 * uniformAt(seed, 11), 0.2];
  const disc = [0.95, 0.6 * uniformAt(seed, 12), 0.15];
  const [cx, cy, r] = [w * (0.25 + 0.5 * uniformAt(seed, 13)), h * (0.2 + 0.3 * uniformAt(seed, 14)), Math.min(w, h) * 0.18];
  const ink = strokeImage(seed % 10, w, h, [w * 0.3, h * 0.35, w * 0.4, h * 0.55], Math.max(0.6, Math.min(w, h) / 24));
  const out = new Float32Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const t = y / (h - 1 || 1);
      const inDisc = Math.min(1, Math.max(0, r + 0.5 - Math.hypot(x + 0.5 - cx, y + 0.5 - cy)));
      const a = ink[y * w + x]!;
      for (let c = 0; c < 3; c++) {
        const base = t < 0.6 ? sky[c]! * (1 - t / 2) : ground[c]!;
        const withDisc = base + (disc[c]! - base) * inDisc;
        out[(y * w + x) * 3 + c] = withDisc + ((c === 2 ? 1 : 0.05) - withDisc) * a;
      }
    }
  }
  return out;
}

/** Concatenates images into one buffer, as a batch. */
export function batch(images: Float32Array[]): Float32Array {
  const out = new Float32Array(images.reduce((a, im) => a + im.length, 0));
  let at = 0;
  for (const im of images) {
    out.set(im, at);
    at += im.length;
  }
  return out;
}

/** n points in 10 Gaussian clusters around a circle, labels 0..9, as a 2-D latent space looks. */
export function clusteredPoints(n: number, seed = 7): { x: Float32Array; y: Float32Array; labels: Uint8Array } {
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 10;
    const angle = (c / 10) * 2 * Math.PI;
    labels[i] = c;
    x[i] = 2.2 * Math.cos(angle) + 0.55 * normalAt(seed, 2 * i);
    y[i] = 1.6 * Math.sin(angle) + 0.45 * normalAt(seed, 2 * i + 1) - 0.4;
  }
  return { x, y, labels };
}
