// Small sources the data tests write: a temporary directory per test, images encoded by
// sharp (PNG, JPEG, WebP) from raw HWC pixels, and CSV text.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach } from 'vitest';

/** A fresh directory for each test of the calling file; `at(...)` joins paths inside it. */
export function tempDir(prefix: string): { at: (...p: string[]) => string; dir: () => string } {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  return { at: (...p) => path.join(dir, ...p), dir: () => dir };
}

export type ImageType = 'png' | 'jpeg' | 'webp';

/** `pixels` (h x w x c, HWC) encoded as `type`; 1 channel is written as greyscale. */
export async function encodeImage(pixels: Uint8Array, h: number, w: number, c: 1 | 3, type: ImageType = 'png', options: { quality?: number; lossless?: boolean } = {}): Promise<Buffer> {
  let img = sharp(Buffer.from(pixels), { raw: { width: w, height: h, channels: c } });
  // sharp writes 1-channel raw input as RGB unless told the colour space.
  if (c === 1) img = img.toColourspace('b-w');
  if (type === 'png') return img.png().toBuffer();
  if (type === 'jpeg') return img.jpeg({ quality: options.quality ?? 95, chromaSubsampling: '4:4:4' }).toBuffer();
  return img.webp(options.lossless ? { lossless: true } : { quality: options.quality ?? 95 }).toBuffer();
}

export async function writeImage(file: string, pixels: Uint8Array, h: number, w: number, c: 1 | 3, type: ImageType = 'png'): Promise<void> {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, await encodeImage(pixels, h, w, c, type));
}

/** An image of one value everywhere (per channel when `value` is a list). */
export function flat(h: number, w: number, value: number | readonly number[]): Uint8Array {
  const v = typeof value === 'number' ? [value] : value;
  return Uint8Array.from({ length: h * w * v.length }, (_, i) => v[i % v.length]!);
}

/** A smooth gradient (no edges, so lossy codecs stay close), its direction set per channel and `tag`. */
export function gradient(h: number, w: number, c: 1 | 3, tag = 0): Uint8Array {
  const out = new Uint8Array(h * w * c);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let k = 0; k < c; k++) {
        const t = (k + tag) % 3 === 0 ? x / Math.max(1, w - 1) : (k + tag) % 3 === 1 ? y / Math.max(1, h - 1) : (x + y) / Math.max(1, w + h - 2);
        out[(y * w + x) * c + k] = Math.round(40 + 170 * t);
      }
    }
  }
  return out;
}

export function writeText(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}
