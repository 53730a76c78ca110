// PNG bytes -> pixels for preprocessing (a user's drawing or scan). fast-png hands back
// palette indices and packed 1/2/4-bit samples as they are stored; this expands them so
// callers only ever see 8- or 16-bit gray, gray + alpha, RGB or RGBA samples.
import { convertIndexedToRgb, decode, hasPngSignature, type DecodedPng } from 'fast-png';
import { FormatError } from '../errors.js';

/** Pixels as fast-png and the browser's ImageData hold them, samples interleaved per pixel. */
export interface PixelImage {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray | Uint16Array;
  /** 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA. Inferred from data.length when absent (ImageData has none). */
  channels?: number;
  /** Bits per sample, 8 or 16. Default: 16 for a Uint16Array, else 8. */
  depth?: number;
}

export interface DecodedImage extends PixelImage {
  data: Uint8Array | Uint16Array;
  channels: 1 | 2 | 3 | 4;
  depth: 8 | 16;
}

/** Decodes PNG bytes; `name` (usually the file path) goes into the FormatError for bad bytes. */
export function decodePng(bytes: Uint8Array | ArrayBuffer, name = 'PNG data'): DecodedImage {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (!hasPngSignature(view)) {
    const found = [...view.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new FormatError(`${name}: not a PNG file (expected the 8-byte PNG signature 89 50 4e 47 0d 0a 1a 0a, found ${found || 'no bytes'})`);
  }
  checkDimensions(view, name);
  let png: DecodedPng;
  try {
    png = decode(view, { checkCrc: true });
  } catch (e) {
    throw new FormatError(`${name}: corrupt or truncated PNG (${e instanceof Error ? e.message : String(e)})`, { cause: e });
  }
  try {
    return normalize(png);
  } catch (e) {
    if (e instanceof FormatError) throw new FormatError(`${name}: ${e.message}`, { cause: e });
    throw new FormatError(`${name}: corrupt PNG pixel data (${e instanceof Error ? e.message : String(e)})`, { cause: e });
  }
}

/**
 * Far more pixels than any drawing or scan of a digit needs; a PNG of a few hundred bytes
 * can declare 65535 x 65535 and make the decoder allocate gigabytes for it.
 */
export const MAX_PNG_PIXELS = 1 << 24;

/** Reads width and height from the IHDR chunk (always first, at byte 16) before decoding. */
function checkDimensions(view: Uint8Array, name: string): void {
  if (view.length < 24) return; // The decoder reports the truncation.
  const header = new DataView(view.buffer, view.byteOffset + 16, 8);
  const width = header.getUint32(0, false);
  const height = header.getUint32(4, false);
  if (width * height > MAX_PNG_PIXELS) {
    throw new FormatError(`${name}: PNG is ${width} x ${height} pixels, over the limit of ${MAX_PNG_PIXELS} pixels`);
  }
}

function normalize(png: DecodedPng): DecodedImage {
  const { width, height } = png;
  if (png.palette) {
    // Palette entries are RGB, or RGBA when a tRNS chunk gave them alpha.
    const data = convertIndexedToRgb(png);
    const channels = png.palette[0]?.length === 4 ? 4 : 3;
    return { width, height, data, channels, depth: 8 };
  }
  const channels = png.channels;
  if (channels !== 1 && channels !== 2 && channels !== 3 && channels !== 4) {
    throw new FormatError(`unsupported channel count ${channels}`);
  }
  let samples: Uint8Array | Uint16Array;
  let depth: 8 | 16;
  if (png.depth === 16) {
    samples = png.data as Uint16Array;
    depth = 16;
  } else if (png.depth === 8) {
    samples = png.data instanceof Uint8Array ? png.data : new Uint8Array(png.data);
    depth = 8;
  } else {
    samples = unpackBits(png.data as Uint8Array, width, height, png.depth);
    depth = 8;
  }
  const expected = width * height * channels;
  if (samples.length !== expected) throw new FormatError(`expected ${expected} samples (${width} x ${height} x ${channels}), found ${samples.length}`);
  // A tRNS chunk on gray / RGB names one colour that is fully transparent; make it an alpha channel.
  const key = png.transparency;
  if (key && (channels === 1 || channels === 3)) return withColorKey(samples, width, height, channels, depth, key, png.depth);
  return { width, height, data: samples, channels, depth };
}

/** 1/2/4-bit gray (rows start on byte boundaries) -> one byte per sample, stretched to 0..255. */
function unpackBits(packed: Uint8Array, width: number, height: number, depth: number): Uint8Array {
  const out = new Uint8Array(width * height);
  const rowBytes = Math.ceil((width * depth) / 8);
  const mask = (1 << depth) - 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const bit = x * depth;
      const byte = packed[y * rowBytes + (bit >> 3)] ?? 0;
      const v = (byte >> (8 - depth - (bit & 7))) & mask;
      out[y * width + x] = Math.round((v * 255) / mask);
    }
  }
  return out;
}

function withColorKey(
  samples: Uint8Array | Uint16Array, width: number, height: number, channels: 1 | 3, depth: 8 | 16,
  key: Uint16Array, storedDepth: number,
): DecodedImage {
  // The key is in stored sample units; unpacked 1/2/4-bit samples were stretched to 0..255.
  const k = [...key].map((v) => (storedDepth < 8 ? Math.round((v * 255) / ((1 << storedDepth) - 1)) : v));
  const max = depth === 16 ? 65535 : 255;
  const n = width * height;
  const out = depth === 16 ? new Uint16Array(n * (channels + 1)) : new Uint8Array(n * (channels + 1));
  for (let p = 0; p < n; p++) {
    let match = true;
    for (let c = 0; c < channels; c++) {
      const v = samples[p * channels + c]!;
      out[p * (channels + 1) + c] = v;
      if (v !== k[c]) match = false;
    }
    out[p * (channels + 1) + channels] = match ? 0 : max;
  }
  return { width, height, data: out, channels: channels === 1 ? 2 : 4, depth };
}
