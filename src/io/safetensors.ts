// The safetensors container (https://github.com/huggingface/safetensors), browser-safe:
//
//   [u64 little-endian N][N bytes UTF-8 JSON header][data section]
//
// The header maps tensor names to {"dtype", "shape", "data_offsets": [begin, end]}
// (byte offsets into the data section) plus an optional "__metadata__" object of
// string -> string. We write tensors contiguously in the order given and pad the header
// with spaces so the data section starts 8-aligned. The decoder trusts nothing: every
// length and offset is checked before a byte is read, and the tensors must cover the
// data section exactly (no gaps, overlaps or trailing bytes), as the spec requires.

import { ArgumentError, FormatError, ShapeError } from '../errors.js';
import {
  arrayTag,
  DTYPES,
  HOST_IS_LITTLE_ENDIAN,
  isDecodeOnly,
  isDtype,
  swapBytes,
  typedArrayFromLittleEndian,
  UNSUPPORTED_DTYPES,
  type DecodedArrays,
  type Dtype,
  type EncodableArrays,
  type EncodableDtype,
} from './dtype.js';
import { describeDepthExcess, jsonDepthExcess } from './json-depth.js';

export type { DecodedArrays, DecodeOnlyDtype, Dtype, EncodableArrays, EncodableDtype } from './dtype.js';

/** One tensor to write; `data` is row-major, its length the product of `shape`. */
export type TensorEntry = {
  [D in EncodableDtype]: { name: string; dtype: D; shape: readonly number[]; data: EncodableArrays[D] };
}[EncodableDtype];

/** One tensor read back: `data` is a copy on its own aligned buffer. */
export type DecodedTensor = {
  [D in Dtype]: { dtype: D; shape: number[]; data: DecodedArrays[D] };
}[Dtype];

export interface DecodedSafetensors {
  /** In data-section order, so re-encoding reproduces the layout. */
  tensors: Map<string, DecodedTensor>;
  metadata: Record<string, string>;
}

const METADATA_KEY = '__metadata__';
/** The reference implementation's limit; anything larger is not a real header. */
export const MAX_HEADER_BYTES = 100_000_000;

// ---------------------------------------------------------------- encode

export function encodeSafetensors(tensors: readonly TensorEntry[], metadata?: Record<string, string>): Uint8Array<ArrayBuffer> {
  const where = 'encodeSafetensors';
  const parts: string[] = [];
  if (metadata !== undefined) {
    if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
      throw new ArgumentError(`${where}: metadata must be an object of strings, found ${describe(metadata)}`);
    }
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== 'string') {
        throw new ArgumentError(`${where}: metadata "${key}" must be a string (the format allows only strings), found ${describe(value)}`);
      }
    }
    // An absent and an empty metadata object decode alike; write neither.
    if (Object.keys(metadata).length > 0) parts.push(`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(metadata)}`);
  }

  const seen = new Set<string>();
  const views: Uint8Array[] = [];
  let offset = 0;
  for (const [i, t] of tensors.entries()) {
    const name = checkEntry(t, i, seen);
    const view = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    views.push(view);
    const end = offset + view.byteLength;
    parts.push(`${JSON.stringify(name)}:{"dtype":"${t.dtype}","shape":${JSON.stringify(t.shape)},"data_offsets":[${offset},${end}]}`);
    offset = end;
  }

  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const headerLength = json.length + ((8 - ((8 + json.length) % 8)) % 8);
  if (headerLength > MAX_HEADER_BYTES) {
    throw new ArgumentError(`${where}: header would be ${headerLength} bytes, over the ${MAX_HEADER_BYTES}-byte limit readers enforce`);
  }
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const [i, view] of views.entries()) {
    out.set(view, at);
    if (!HOST_IS_LITTLE_ENDIAN) swapBytes(out.subarray(at, at + view.length), DTYPES[tensors[i]!.dtype].size);
    at += view.length;
  }
  return out;
}

/** Validates one entry against its own shape and dtype; returns its name. */
function checkEntry(t: TensorEntry, index: number, seen: Set<string>): string {
  const where = `encodeSafetensors: tensor ${index}`;
  const name: unknown = t.name;
  if (typeof name !== 'string' || name === '') {
    throw new ArgumentError(`${where}: name must be a non-empty string, found ${describe(name)}`);
  }
  const at = `encodeSafetensors: tensor "${name}"`;
  if (name === METADATA_KEY) throw new ArgumentError(`${at}: the name is reserved for the metadata`);
  if (seen.has(name)) throw new ArgumentError(`${at}: duplicate name`);
  seen.add(name);

  const dtype: unknown = t.dtype;
  if (!isDtype(dtype) || isDecodeOnly(dtype)) {
    const encodable = Object.keys(DTYPES).filter((d) => !isDecodeOnly(d as Dtype));
    throw new ArgumentError(`${at}: cannot write dtype ${describe(dtype)}; expected one of ${encodable.join(', ')}`);
  }
  const expected = DTYPES[dtype].arrayTag;
  const found = arrayTag(t.data);
  if (found !== expected) throw new ArgumentError(`${at}: dtype ${dtype} needs a ${expected}, found ${found}`);

  const count = elementCount(t.shape);
  if (typeof count === 'string') throw new ShapeError(`${at}: ${count}`);
  if (count !== t.data.length) {
    throw new ShapeError(`${at}: shape ${JSON.stringify(t.shape)} needs ${count} elements, data has ${t.data.length}`);
  }
  if (dtype === 'BOOL') {
    const bad = (t.data as Uint8Array).findIndex((v) => v > 1);
    if (bad >= 0) throw new ArgumentError(`${at}: BOOL data must be 0 or 1, found ${t.data[bad]} at element ${bad}`);
  }
  return name;
}

// ---------------------------------------------------------------- decode

interface HeaderEntry {
  name: string;
  dtype: Dtype;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * Parses and fully validates a safetensors file; `source` names it in errors. Callers that
 * know their headers are small (model files) pass a lower `maxHeaderBytes`.
 */
export function decodeSafetensors(bytes: Uint8Array, source = '<bytes>', maxHeaderBytes = MAX_HEADER_BYTES): DecodedSafetensors {
  const fail = (msg: string): never => {
    throw new FormatError(`${source}: ${msg}`);
  };
  if (bytes.length < 8) {
    fail(`${bytes.length} bytes is too short for a safetensors file (expected at least the 8-byte header length)`);
  }
  const n64 = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  if (n64 === 0n) fail('header length is 0 (expected a JSON object)');
  if (n64 > BigInt(maxHeaderBytes)) {
    fail(`header length ${n64} is over the ${maxHeaderBytes}-byte limit; not a safetensors file?`);
  }
  const n = Number(n64);
  if (n > bytes.length - 8) fail(`header length ${n} runs past the end of the file (${bytes.length - 8} bytes follow it; truncated?)`);

  const header = parseHeader(bytes.subarray(8, 8 + n), fail);
  const data = bytes.subarray(8 + n);
  const metadata = parseMetadata(header[METADATA_KEY], fail);
  const entries: HeaderEntry[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === METADATA_KEY) continue;
    entries.push(parseEntry(name, info, data.length, (msg) => fail(`tensor "${name}": ${msg}`)));
  }
  checkCoverage(entries, data.length, fail);

  const tensors = new Map<string, DecodedTensor>();
  for (const e of entries) {
    const values = typedArrayFromLittleEndian(e.dtype, data.subarray(e.begin, e.end));
    if (e.dtype === 'BOOL') {
      const bad = (values as Uint8Array).findIndex((v) => v > 1);
      if (bad >= 0) fail(`tensor "${e.name}": BOOL element ${bad} is ${values[bad]} (expected 0 or 1)`);
    }
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: values } as DecodedTensor);
  }
  return { tensors, metadata };
}

function parseHeader(raw: Uint8Array, fail: (msg: string) => never): Record<string, unknown> {
  let text: string;
  try {
    // ignoreBOM keeps a byte-order mark in the text, where the '{' check rejects it.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(raw);
  } catch {
    return fail('header is not valid UTF-8');
  }
  // The spec requires the header to start with '{'; only trailing padding is allowed.
  if (!text.startsWith('{')) fail(`header must start with '{', found ${JSON.stringify(text.slice(0, 16))}`);
  const deep = jsonDepthExcess(text);
  if (deep) fail(`header JSON ${describeDepthExcess(deep)}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return fail(`header is not valid JSON (${(err as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    fail(`header must be a JSON object, found ${describe(parsed)}`);
  }
  return parsed as Record<string, unknown>;
}

function parseMetadata(value: unknown, fail: (msg: string) => never): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail(`"${METADATA_KEY}" must be an object of strings, found ${describe(value)}`);
  }
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') fail(`"${METADATA_KEY}" value for "${key}" must be a string, found ${describe(v)}`);
  }
  return value as Record<string, string>;
}

/** Validates one header entry on its own; `dataLength` bounds its offsets. */
function parseEntry(name: string, info: unknown, dataLength: number, fail: (msg: string) => never): HeaderEntry {
  if (typeof info !== 'object' || info === null || Array.isArray(info)) {
    return fail(`entry must be an object with dtype, shape and data_offsets, found ${describe(info)}`);
  }
  // Unknown extra keys are ignored, as the reference implementation does.
  const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
  if (!isDtype(dtype)) {
    const supported = Object.keys(DTYPES).join(', ');
    if (typeof dtype === 'string' && UNSUPPORTED_DTYPES.has(dtype)) {
      return fail(`dtype ${dtype} is not supported by ae-wasm (supported: ${supported})`);
    }
    return fail(`unknown dtype ${describe(dtype)} (expected one of ${supported})`);
  }
  if (!Array.isArray(shape)) return fail(`shape must be an array of non-negative integers, found ${describe(shape)}`);
  const count = elementCount(shape);
  if (typeof count === 'string') return fail(count);
  if (
    !Array.isArray(offsets) || offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && (o as number) >= 0)
  ) {
    return fail(`data_offsets must be [begin, end] of non-negative integers, found ${describe(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) fail(`data_offsets [${begin}, ${end}] has begin after end`);
  if (end > dataLength) fail(`data_offsets [${begin}, ${end}] end past the data section (${dataLength} bytes)`);
  const expected = count * DTYPES[dtype].size;
  if (end - begin !== expected) {
    fail(`data_offsets [${begin}, ${end}] span ${end - begin} bytes but ${dtype} shape ${JSON.stringify(shape)} needs ${expected}`);
  }
  return { name, dtype, shape: shape as number[], begin, end };
}

/**
 * Sorts entries by (begin, end) and requires them to tile [0, dataLength) exactly. An
 * empty tensor sorts before a non-empty one at the same offset, which is where our
 * encoder puts it, so decode-then-encode reproduces the file.
 */
function checkCoverage(entries: HeaderEntry[], dataLength: number, fail: (msg: string) => never): void {
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous: HeaderEntry | undefined;
  for (const e of entries) {
    if (e.begin < cursor) {
      fail(`tensor "${e.name}" at [${e.begin}, ${e.end}] overlaps tensor "${previous!.name}" at [${previous!.begin}, ${previous!.end}]`);
    }
    if (e.begin > cursor) {
      const after = previous ? `after tensor "${previous.name}"` : 'at the start of the data section';
      fail(`gap of ${e.begin - cursor} bytes ${after}, before tensor "${e.name}" at [${e.begin}, ${e.end}]`);
    }
    cursor = e.end;
    previous = e;
  }
  if (cursor < dataLength) {
    fail(`${dataLength - cursor} trailing bytes after the last tensor (data section is ${dataLength} bytes, tensors cover ${cursor})`);
  }
}

// ---------------------------------------------------------------- shared

/** Product of `shape`, or a message saying why it is not a valid shape. */
function elementCount(shape: readonly unknown[]): number | string {
  if (!Array.isArray(shape)) return `shape must be an array, found ${describe(shape)}`;
  if (!shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
    return `shape must be an array of non-negative integers, found ${describe(shape)}`;
  }
  const dims = shape as number[];
  if (dims.includes(0)) return 0;
  let count = 1;
  for (const d of dims) {
    count *= d;
    if (count > Number.MAX_SAFE_INTEGER) return `shape ${JSON.stringify(dims)} has too many elements`;
  }
  return count;
}

/** A short description of a JSON-ish value for error messages. */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'bigint') return `${value}n`;
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
