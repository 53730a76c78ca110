// Binary cache of the bundled digits, so the 21 MB of JSON is parsed once per install.
//
// The JSON pixels are 8-bit MNIST levels b rounded to three decimals, round(b / 255, 3);
// the 256 levels give 256 distinct decimals, so one byte per pixel is lossless and a
// 256-entry table turns it back into exactly the value JSON.parse gives.
//
// Layout, little-endian u32s: magic "AEMN", version, n, pixels per image, source bytes
// (total size of the JSON files the cache was built from), FNV-1a of the payload; then
// the payload: n labels, then n * pixels-per-image levels. Any mismatch means the cache
// is corrupt or stale and must be rebuilt, never trusted.
import { FormatError } from '../errors.js';

const MAGIC = 0x4e4d4541; // "AEMN" read as a little-endian u32
export const DIGIT_CACHE_VERSION = 1;
const HEADER_BYTES = 24;

/** Digits as stored: `levels[i]` is the 8-bit level b of pixel i. */
export interface DigitLevels {
  n: number;
  pixelsPerImage: number;
  labels: Uint8Array;
  levels: Uint8Array;
}

/** round(b / 255, 3) for each level b, as float64: equal to JSON.parse of the decimal. */
export const LEVEL_TO_DECIMAL = Float64Array.from({ length: 256 }, (_, b) => Math.round((b * 1000) / 255) / 1000);

/** The level whose decimal is exactly `v`, or -1 when there is none. */
export function levelOf(v: number): number {
  const b = Math.round(v * 255);
  return b >= 0 && b <= 255 && LEVEL_TO_DECIMAL[b] === v ? b : -1;
}

function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

export function encodeDigitCache(d: DigitLevels, sourceBytes: number): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + d.labels.length + d.levels.length);
  const payload = out.subarray(HEADER_BYTES);
  payload.set(d.labels, 0);
  payload.set(d.levels, d.labels.length);
  const view = new DataView(out.buffer);
  [MAGIC, DIGIT_CACHE_VERSION, d.n, d.pixelsPerImage, sourceBytes, fnv1a(payload)].forEach((v, i) =>
    view.setUint32(4 * i, v, true),
  );
  return out;
}

/** Throws FormatError saying why `bytes` is not a valid cache for `sourceBytes` of JSON. */
export function decodeDigitCache(bytes: Uint8Array, sourceBytes: number, file: string): DigitLevels {
  if (bytes.length < HEADER_BYTES) {
    throw new FormatError(`${file}: ${bytes.length} bytes is shorter than the ${HEADER_BYTES}-byte header`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [magic, version, n, pixelsPerImage, source, checksum] = [0, 1, 2, 3, 4, 5].map((i) =>
    view.getUint32(4 * i, true),
  ) as [number, number, number, number, number, number];
  if (magic !== MAGIC) throw new FormatError(`${file}: bad magic 0x${magic.toString(16)}`);
  if (version !== DIGIT_CACHE_VERSION) {
    throw new FormatError(`${file}: cache version ${version}, expected ${DIGIT_CACHE_VERSION}`);
  }
  if (source !== sourceBytes) {
    throw new FormatError(`${file}: built from ${source} bytes of JSON, the package now has ${sourceBytes}`);
  }
  const expected = HEADER_BYTES + n * (1 + pixelsPerImage);
  if (bytes.length !== expected) {
    throw new FormatError(`${file}: expected ${expected} bytes for ${n} images, found ${bytes.length}`);
  }
  const payload = bytes.subarray(HEADER_BYTES);
  const actual = fnv1a(payload);
  if (actual !== checksum) {
    throw new FormatError(`${file}: checksum 0x${actual.toString(16)} does not match header 0x${checksum.toString(16)}`);
  }
  return { n, pixelsPerImage, labels: payload.subarray(0, n), levels: payload.subarray(n) };
}
