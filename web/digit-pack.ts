// The demo's test digits as one small binary file (digits.bin, made by
// scripts/build-demo.ts from the bundled test split, never committed):
//
//   "AEDG" | u8 version 1 | u8 side (28) | u16 0 | u32 LE n | n labels | n * side * side levels
//
// A level b is the 8-bit MNIST pixel; LEVEL_TO_DECIMAL turns it back into exactly the
// value the bundled data (and so Node) uses, so the page's digits equal Node's.

import { LEVEL_TO_DECIMAL } from '../src/data/digit-cache.js';

const MAGIC = 'AEDG';
const HEADER = 12;

export interface DigitPack {
  n: number;
  side: number;
  labels: Uint8Array;
  /** [n, side, side, 1] in [0, 1]. */
  images: Float32Array;
}

export function encodeDigitPack(levels: Uint8Array, labels: Uint8Array, side = 28): Uint8Array {
  const n = labels.length;
  if (levels.length !== n * side * side) throw new Error(`digit pack: ${levels.length} levels for ${n} digits of ${side} x ${side}`);
  const out = new Uint8Array(HEADER + n + levels.length);
  out.set([...MAGIC].map((c) => c.charCodeAt(0)), 0);
  out[4] = 1;
  out[5] = side;
  new DataView(out.buffer).setUint32(8, n, true);
  out.set(labels, HEADER);
  out.set(levels, HEADER + n);
  return out;
}

export function decodeDigitPack(bytes: Uint8Array): DigitPack {
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  if (magic !== MAGIC || bytes[4] !== 1) throw new Error(`digits.bin: not a version-1 digit pack (found "${magic}")`);
  const side = bytes[5]!;
  const n = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  if (bytes.length !== HEADER + n + n * side * side) throw new Error(`digits.bin: ${bytes.length} bytes, expected ${HEADER + n + n * side * side} for ${n} digits`);
  const levels = bytes.subarray(HEADER + n);
  const images = new Float32Array(levels.length);
  for (let i = 0; i < levels.length; i++) images[i] = LEVEL_TO_DECIMAL[levels[i]!]!;
  return { n, side, labels: bytes.slice(HEADER, HEADER + n), images };
}
