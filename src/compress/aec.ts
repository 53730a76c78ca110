// The .aec container: the quantised codes of a data set under one model, browser-safe.
// All integers little-endian; version 1:
//
//   offset    bytes  field
//   0         8      magic 89 41 45 43 0D 0A 1A 0A ("\x89AEC\r\n\x1a\n": as PNG's, a text-mode copy breaks it)
//   8         2      version, u16 = 1
//   10        1      bits per value, 4..16
//   11        1      flags: bit 0 = labels present; the other bits are 0
//   12        32     model hash: SHA-256 of the model (model-hash.ts)
//   44        4      n, samples, u32 >= 1
//   48        4      k, values per code, u32 >= 1
//   52        8k     ranges: k float32 lo, then k float32 hi (finite, lo <= hi)
//   52+8k     4      P, payload bytes, u32
//   56+8k     P      payload: raw deflate (RFC 1951) of the packed codes (quantize.ts:
//                    ceil(n k bits / 8) bytes), then n u8 labels if flagged
//   56+8k+P   4      CRC-32 of every byte before it
//
// The reader trusts nothing: the header is held to limits and to the file's length before
// anything is allocated, the CRC is checked before inflating, and the payload is inflated
// in small steps that stop as soon as the output passes the size the header claims, so a
// decompression bomb costs at most that size (itself bounded by the limits) plus one step.

import { deflateSync, Inflate } from 'fflate';
import { ArgumentError, FormatError } from '../errors.js';
import { crc32 } from './digest.js';
import { checkBits, MAX_BITS, MIN_BITS, packBits, packedBytes, unpackBits, type Ranges } from './quantize.js';
import { resolvePositiveLimits } from '../options.js';

export const AEC_MAGIC = Uint8Array.of(0x89, 0x41, 0x45, 0x43, 0x0d, 0x0a, 0x1a, 0x0a);
export const AEC_VERSION = 1;
const FIXED_HEADER = 52;
const FLAG_LABELS = 1;
/** Deflate emits at least one bit per 258 bytes of output: a P-byte stream inflates to at most 8 * 258 * P bytes (+ slack for headers). */
const MAX_DEFLATE_RATIO = 8 * 258;

export interface AecLimits {
  /** Most samples a file may hold (default 2^24). */
  maxSamples: number;
  /** Most values per code (default 2^20). */
  maxCodeSize: number;
  /** Most code values in all (default 2^28: 1 GiB of float32 codes). */
  maxValues: number;
}

export const DEFAULT_AEC_LIMITS: AecLimits = { maxSamples: 1 << 24, maxCodeSize: 1 << 20, maxValues: 1 << 28 };

/** What a container holds. `quantized` is dimension-major (quantize.ts), n * codeSize values. */
export interface AecContents {
  bits: number;
  modelHash: Uint8Array;
  n: number;
  codeSize: number;
  ranges: Ranges;
  quantized: Uint16Array;
  labels: Uint8Array | null;
}

/** The container bytes of `c` (deflate at level 9). */
export function encodeAec(c: AecContents): Uint8Array {
  const where = 'encodeAec';
  checkBits(c.bits, where);
  const { n, codeSize: k } = c;
  if (!Number.isInteger(n) || !Number.isInteger(k) || n < 1 || k < 1 || n > DEFAULT_AEC_LIMITS.maxSamples || k > DEFAULT_AEC_LIMITS.maxCodeSize || n * k > DEFAULT_AEC_LIMITS.maxValues) {
    throw new ArgumentError(`${where}: expected 1..${DEFAULT_AEC_LIMITS.maxSamples} samples of 1..${DEFAULT_AEC_LIMITS.maxCodeSize} values (at most ${DEFAULT_AEC_LIMITS.maxValues} in all), found ${n} of ${k}`);
  }
  if (c.modelHash.length !== 32) throw new ArgumentError(`${where}: expected a 32-byte SHA-256 model hash, found ${c.modelHash.length} bytes`);
  if (c.quantized.length !== n * k) throw new ArgumentError(`${where}: expected ${n * k} quantised values, found ${c.quantized.length}`);
  if (c.ranges.lo.length !== k || c.ranges.hi.length !== k) throw new ArgumentError(`${where}: expected ranges of ${k} values, found ${c.ranges.lo.length} and ${c.ranges.hi.length}`);
  if (c.labels && c.labels.length !== n) throw new ArgumentError(`${where}: expected ${n} labels, found ${c.labels.length}`);
  const levels = 2 ** c.bits;
  const over = c.quantized.findIndex((q) => q >= levels);
  if (over >= 0) throw new ArgumentError(`${where}: quantised value ${over} is ${c.quantized[over]}, over ${levels - 1} for ${c.bits} bits`);

  const packed = packBits(c.quantized, c.bits);
  const raw = new Uint8Array(packed.length + (c.labels ? n : 0));
  raw.set(packed);
  if (c.labels) raw.set(c.labels, packed.length);
  const payload = deflateSync(raw, { level: 9 });
  const head = FIXED_HEADER + 8 * k;
  const out = new Uint8Array(head + 4 + payload.length + 4);
  const view = new DataView(out.buffer);
  out.set(AEC_MAGIC, 0);
  view.setUint16(8, AEC_VERSION, true);
  out[10] = c.bits;
  out[11] = c.labels ? FLAG_LABELS : 0;
  out.set(c.modelHash, 12);
  view.setUint32(44, n, true);
  view.setUint32(48, k, true);
  for (let d = 0; d < k; d++) {
    view.setFloat32(FIXED_HEADER + 4 * d, c.ranges.lo[d]!, true);
    view.setFloat32(FIXED_HEADER + 4 * (k + d), c.ranges.hi[d]!, true);
  }
  view.setUint32(head, payload.length, true);
  out.set(payload, head + 4);
  view.setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true);
  return out;
}

/** The header fields of a container, checked; the payload not yet inflated. */
export interface AecHeader {
  version: number;
  bits: number;
  modelHash: Uint8Array;
  n: number;
  codeSize: number;
  ranges: Ranges;
  hasLabels: boolean;
  /** The deflated payload (a view into the file's bytes). */
  payload: Uint8Array;
  /** What the payload must inflate to, in bytes. */
  rawBytes: number;
}

/**
 * Reads and checks a container's header against `limits` and the file's length, and its
 * CRC; `source` names the file in every FormatError. Allocates only the ranges (k <= limits).
 */
export function readAecHeader(bytes: Uint8Array, source = '<bytes>', limits: Partial<AecLimits> = {}): AecHeader {
  const lim = resolvePositiveLimits(DEFAULT_AEC_LIMITS, limits, '.aec limit');
  const fail = (msg: string): never => {
    throw new FormatError(`${source}: ${msg}`);
  };
  if (bytes.length === 0) fail('is empty (0 bytes); expected an .aec file written by ae-wasm compress');
  const magicOk = bytes.length >= AEC_MAGIC.length && AEC_MAGIC.every((b, i) => bytes[i] === b);
  if (!magicOk) {
    const found = Array.from(bytes.subarray(0, AEC_MAGIC.length), (b) => b.toString(16).padStart(2, '0')).join(' ');
    fail(`not an .aec file: expected the magic bytes 89 41 45 43 0d 0a 1a 0a, found ${found}${bytes.length < AEC_MAGIC.length ? ` (only ${bytes.length} bytes)` : ''}`);
  }
  if (bytes.length < FIXED_HEADER) fail(`truncated: ${bytes.length} bytes, shorter than the ${FIXED_HEADER}-byte fixed header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(8, true);
  if (version !== AEC_VERSION) fail(`container version ${version} is not supported (this ae-wasm reads version ${AEC_VERSION}); a newer ae-wasm wrote it?`);
  const bits = bytes[10]!;
  if (bits < MIN_BITS || bits > MAX_BITS) fail(`bits per value is ${bits}; expected ${MIN_BITS}..${MAX_BITS}`);
  const flags = bytes[11]!;
  if (flags & ~FLAG_LABELS) fail(`flags byte is 0x${flags.toString(16)}; only bit 0 (labels) is defined`);
  const n = view.getUint32(44, true);
  const k = view.getUint32(48, true);
  if (n < 1 || n > lim.maxSamples) fail(`header claims ${n} samples; expected 1..${lim.maxSamples}`);
  if (k < 1 || k > lim.maxCodeSize) fail(`header claims ${k} values per code; expected 1..${lim.maxCodeSize}`);
  if (n * k > lim.maxValues) fail(`header claims ${n} codes of ${k} values = ${n * k} values, over the limit of ${lim.maxValues}`);
  const head = FIXED_HEADER + 8 * k;
  if (bytes.length < head + 8) fail(`truncated: ${bytes.length} bytes, but ${k} ranges, the payload length and the checksum need at least ${head + 8}`);
  const payloadLength = view.getUint32(head, true);
  const expectedLength = head + 4 + payloadLength + 4;
  if (bytes.length !== expectedLength) {
    fail(`${bytes.length < expectedLength ? 'truncated' : 'trailing bytes'}: the header says ${expectedLength} bytes (a ${payloadLength}-byte payload), the file has ${bytes.length}`);
  }
  const stored = view.getUint32(bytes.length - 4, true);
  const actual = crc32(bytes.subarray(0, bytes.length - 4));
  if (stored !== actual) fail(`checksum mismatch (CRC-32 stored ${hex8(stored)}, computed ${hex8(actual)}): the file is corrupted`);
  const lo = new Float32Array(k);
  const hi = new Float32Array(k);
  for (let d = 0; d < k; d++) {
    lo[d] = view.getFloat32(FIXED_HEADER + 4 * d, true);
    hi[d] = view.getFloat32(FIXED_HEADER + 4 * (k + d), true);
    if (!Number.isFinite(lo[d]!) || !Number.isFinite(hi[d]!) || lo[d]! > hi[d]!) fail(`range of dimension ${d} is [${lo[d]}, ${hi[d]}]; expected finite lo <= hi`);
  }
  const hasLabels = (flags & FLAG_LABELS) !== 0;
  const rawBytes = packedBytes(n * k, bits) + (hasLabels ? n : 0);
  if (rawBytes > payloadLength * MAX_DEFLATE_RATIO + 64) fail(`header claims ${rawBytes} bytes of codes, more than a ${payloadLength}-byte deflate payload can hold`);
  return { version, bits, modelHash: bytes.slice(12, 44), n, codeSize: k, ranges: { lo, hi }, hasLabels, payload: bytes.subarray(head + 4, head + 4 + payloadLength), rawBytes };
}

/** Input bytes inflated per step: each step outputs at most MAX_DEFLATE_RATIO times this. */
const INFLATE_STEP = 1024;

/** The payload inflated to exactly `rawBytes`, or a FormatError (corrupt stream, too short, too long). */
export function inflatePayload(payload: Uint8Array, rawBytes: number, source = '<bytes>'): Uint8Array {
  const out = new Uint8Array(rawBytes);
  let total = 0;
  let ended = false;
  const fail = (msg: string): never => {
    throw new FormatError(`${source}: ${msg}`);
  };
  const inflater = new Inflate((chunk, final) => {
    if (total + chunk.length > rawBytes) fail(`payload inflates to more than the ${rawBytes} bytes the header claims (a decompression bomb, or a corrupted header)`);
    out.set(chunk, total);
    total += chunk.length;
    if (final) ended = true;
  });
  try {
    for (let at = 0; at < payload.length || at === 0; at += INFLATE_STEP) {
      const end = Math.min(at + INFLATE_STEP, payload.length);
      inflater.push(payload.subarray(at, end), end >= payload.length);
      if (end >= payload.length) break;
    }
  } catch (err) {
    if (err instanceof FormatError) throw err;
    fail(`payload is not a valid deflate stream (${(err as Error).message})`);
  }
  if (!ended || total !== rawBytes) fail(`payload inflates to ${total} bytes, but the header claims ${rawBytes} (truncated or corrupted)`);
  return out;
}

/**
 * A whole container read back: header checked, then `check` (a caller's test of the header,
 * such as its model hash, before the payload costs anything), then the payload inflated and unpacked.
 */
export function decodeAec(bytes: Uint8Array, source = '<bytes>', limits: Partial<AecLimits> = {}, check?: (h: AecHeader) => void): AecContents & { version: number } {
  const h = readAecHeader(bytes, source, limits);
  check?.(h);
  const raw = inflatePayload(h.payload, h.rawBytes, source);
  const count = h.n * h.codeSize;
  const quantized = unpackBits(raw, count, h.bits);
  const packed = packedBytes(count, h.bits);
  // Stray high bits in the last byte would mean a writer other than ours, or damage the CRC missed.
  const spare = packed * 8 - count * h.bits;
  if (spare > 0 && raw[packed - 1]! >> (8 - spare) !== 0) throw new FormatError(`${source}: the unused bits of the last code byte are not zero`);
  const labels = h.hasLabels ? raw.slice(packed) : null;
  return { version: h.version, bits: h.bits, modelHash: h.modelHash, n: h.n, codeSize: h.codeSize, ranges: h.ranges, quantized, labels };
}

function hex8(v: number): string {
  return `0x${v.toString(16).padStart(8, '0')}`;
}
