// A small strict reader (and writer) of numpy's .npy format, from bytes (browser-safe).
// Layout: magic "\x93NUMPY", major and minor version bytes, the header length (u16 LE in
// version 1.0, u32 LE in 2.0 and 3.0), then the header: a Python dict literal
// {'descr': '<f4', 'fortran_order': False, 'shape': (n, 28, 28), } padded with spaces and
// ended by '\n' (latin-1 in 1.0/2.0, UTF-8 in 3.0), then the values in C order. The dict is
// parsed by a tokenizer that knows strings, True/False, integers and tuples of them, never
// by eval; the file's length is checked against the shape before anything is allocated.
import { DataError, FormatError } from '../../errors.js';
import { BYTES_PER_VALUE, formatShape, type SampleArray, type SampleDtype } from './types.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
/** numpy itself refuses headers over 10,000 bytes unless told otherwise; this leaves room. */
export const MAX_NPY_HEADER_BYTES = 1 << 16;
/** Dims of one array; numpy's own limit is 64. */
const MAX_NPY_DIMS = 32;

/** Data dtypes by descr. */
const DATA_DTYPES: Readonly<Record<string, SampleDtype>> = { '|u1': 'uint8', '<f4': 'float32', '<f8': 'float64' };
/** Label dtypes by descr, with their byte size and signedness. */
const LABEL_DTYPES: Readonly<Record<string, { size: number; signed: boolean }>> = {
  '|u1': { size: 1, signed: false },
  '<u2': { size: 2, signed: false },
  '<i2': { size: 2, signed: true },
  '<i4': { size: 4, signed: true },
  '<u4': { size: 4, signed: false },
  '<i8': { size: 8, signed: true },
  '<u8': { size: 8, signed: false },
};
/** Labels are class indices: 0 <= label < 2^31. */
const MAX_LABEL = 2 ** 31 - 1;

export interface NpyHeader {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  /** Byte offset of the first value. */
  dataOffset: number;
}

export interface NpyArray {
  shape: number[];
  dtype: SampleDtype;
  data: SampleArray;
}

/** Parses and checks the header; `file` names it in errors. */
export function parseNpyHeader(bytes: Uint8Array, file: string): NpyHeader {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new FormatError(`${file}: not an .npy file (expected the magic "\\x93NUMPY" and a header, found ${bytes.length < 10 ? `${bytes.length} bytes` : 'other bytes'})`);
  }
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if (major < 1 || major > 3 || minor !== 0) {
    throw new FormatError(`${file}: .npy format version ${major}.${minor} is not supported; expected 1.0, 2.0 or 3.0`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  const start = 8 + lengthBytes;
  if (bytes.length < start) throw new FormatError(`${file}: .npy file ends inside its header length (${bytes.length} bytes)`);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (headerLength > MAX_NPY_HEADER_BYTES) {
    throw new FormatError(`${file}: .npy header declares ${headerLength} bytes, over the ${MAX_NPY_HEADER_BYTES}-byte limit`);
  }
  const dataOffset = start + headerLength;
  if (bytes.length < dataOffset) {
    throw new FormatError(`${file}: .npy header declares ${headerLength} bytes but the file ends after ${bytes.length - start} (truncated)`);
  }
  let text: string;
  try {
    text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1', { fatal: true }).decode(bytes.subarray(start, dataOffset));
  } catch {
    throw new FormatError(`${file}: .npy header is not valid UTF-8`);
  }
  if (!text.endsWith('\n')) throw new FormatError(`${file}: .npy header must end with a newline`);
  const dict = parseDict(text, file);
  for (const key of Object.keys(dict)) {
    if (key !== 'descr' && key !== 'fortran_order' && key !== 'shape') {
      throw new FormatError(`${file}: .npy header has key ${JSON.stringify(key)}; expected only 'descr', 'fortran_order' and 'shape'`);
    }
  }
  const { descr, fortran_order: fortranOrder, shape } = { descr: dict['descr'], fortran_order: dict['fortran_order'], shape: dict['shape'] };
  if (typeof descr !== 'string') throw new FormatError(`${file}: .npy header 'descr' must be a dtype string such as '<f4', found ${describeValue(descr)} (structured arrays are not supported)`);
  if (typeof fortranOrder !== 'boolean') throw new FormatError(`${file}: .npy header 'fortran_order' must be True or False, found ${describeValue(fortranOrder)}`);
  if (!Array.isArray(shape)) throw new FormatError(`${file}: .npy header 'shape' must be a tuple of integers, found ${describeValue(shape)}`);
  if (shape.length > MAX_NPY_DIMS) throw new FormatError(`${file}: .npy shape has ${shape.length} dims, over the limit of ${MAX_NPY_DIMS}`);
  return { descr, fortranOrder, shape, dataOffset };
}

type PyValue = string | boolean | number | number[];

/** The header dict: string keys to strings, booleans, integers and tuples of integers. */
function parseDict(text: string, file: string): Record<string, PyValue> {
  let i = 0;
  const fail = (what: string): never => {
    throw new FormatError(`${file}: .npy header is not a Python dict literal: ${what} at character ${i}`);
  };
  const space = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\t' || text[i] === '\r')) i++;
  };
  const expect = (c: string) => {
    space();
    if (text[i] !== c) fail(`expected '${c}', found ${text[i] === undefined ? 'the end' : JSON.stringify(text[i])}`);
    i++;
  };
  const string = (): string => {
    const quote = text[i]!;
    const begin = ++i;
    // numpy writes descr and keys with no escapes; a backslash means something we do not read.
    while (i < text.length && text[i] !== quote) {
      if (text[i] === '\\' || text[i] === '\n') fail('escape or newline in a string');
      i++;
    }
    if (i >= text.length) fail('unterminated string');
    return text.slice(begin, i++);
  };
  const integer = (): number => {
    const m = /^[0-9]+/.exec(text.slice(i, i + 32));
    if (!m) return fail(`expected an integer, found ${JSON.stringify(text.slice(i, i + 10))}`);
    i += m[0].length;
    // numpy writes plain ints; a trailing L is Python 2's long.
    if (text[i] === 'L') i++;
    const v = Number(m[0]);
    if (!Number.isSafeInteger(v)) fail(`integer ${m[0]} is too large`);
    return v;
  };
  const value = (): PyValue => {
    space();
    const c = text[i];
    if (c === "'" || c === '"') return string();
    if (text.startsWith('True', i)) return (i += 4), true;
    if (text.startsWith('False', i)) return (i += 5), false;
    if (c === '(') {
      i++;
      const items: number[] = [];
      for (;;) {
        space();
        if (text[i] === ')') break;
        items.push(integer());
        space();
        if (text[i] === ',') i++;
        else if (text[i] !== ')') fail(`expected ',' or ')' in a tuple, found ${JSON.stringify(text[i] ?? '')}`);
        if (items.length > MAX_NPY_DIMS) fail(`tuple longer than ${MAX_NPY_DIMS}`);
      }
      i++;
      return items;
    }
    if (c !== undefined && c >= '0' && c <= '9') return integer();
    return fail(`unsupported value starting ${JSON.stringify(text.slice(i, i + 10))}`);
  };
  const out: Record<string, PyValue> = {};
  expect('{');
  for (;;) {
    space();
    if (text[i] === '}') break;
    if (text[i] !== "'" && text[i] !== '"') fail('expected a quoted key');
    const key = string();
    if (Object.hasOwn(out, key)) fail(`duplicate key ${JSON.stringify(key)}`);
    expect(':');
    // defineProperty: a key named __proto__ becomes an own property, not the prototype.
    Object.defineProperty(out, key, { value: value(), enumerable: true, writable: true, configurable: true });
    space();
    if (text[i] === ',') i++;
    else if (text[i] !== '}') fail(`expected ',' or '}', found ${JSON.stringify(text[i] ?? '')}`);
  }
  i++;
  space();
  if (i !== text.length) fail('text after the closing brace');
  return out;
}

function describeValue(v: unknown): string {
  return v === undefined ? 'nothing' : JSON.stringify(v);
}

function orderProblem(header: NpyHeader, file: string, what: string): void {
  if (header.fortranOrder) {
    throw new FormatError(`${file}: ${what} is stored in Fortran (column-major) order; save it in C order: np.save(path, np.ascontiguousarray(a))`);
  }
}

function checkPayload(bytes: Uint8Array, header: NpyHeader, itemSize: number, file: string, maxBytes: number): number {
  let count = 1;
  for (const d of header.shape) count *= d;
  const needed = count * itemSize;
  if (needed > maxBytes) {
    throw new FormatError(`${file}: .npy shape ${formatShape(header.shape)} of ${header.descr} needs ${needed} bytes, over the ${maxBytes}-byte limit`);
  }
  const found = bytes.length - header.dataOffset;
  if (found !== needed) {
    throw new FormatError(
      `${file}: .npy shape ${formatShape(header.shape)} of ${header.descr} needs ${needed} data bytes, found ${found} (${found < needed ? 'truncated' : 'trailing bytes'})`,
    );
  }
  return count;
}

function byteOrderHint(descr: string): string {
  return descr.startsWith('>') ? ` (big-endian; convert with a.astype(a.dtype.newbyteorder('<')))` : '';
}

/** An array of uint8, float32 or float64 data, shape [n, ...]; NaN and Inf are DataErrors naming the flat index. */
export function parseNpy(bytes: Uint8Array, file: string, maxBytes = Number.MAX_SAFE_INTEGER): NpyArray {
  const header = parseNpyHeader(bytes, file);
  const dtype = checkDataHeader(header, file);
  const count = checkPayload(bytes, header, BYTES_PER_VALUE[dtype], file, maxBytes);
  // A copy into a plain Uint8Array at offset 0 of its own buffer: a Node Buffer's slice()
  // is a view into its (pooled) buffer, so DataView(raw.buffer) would read elsewhere.
  const raw = new Uint8Array(bytes.subarray(header.dataOffset));
  const data: SampleArray =
    dtype === 'uint8' ? raw : littleEndianFloats(raw, dtype, count);
  if (dtype !== 'uint8') {
    const sample = count / header.shape[0]! || 1;
    for (let k = 0; k < data.length; k++) {
      if (!Number.isFinite(data[k]!)) {
        throw new DataError(`${file}: value ${data[k]} at flat index ${k} (sample ${Math.floor(k / sample)}); data must be finite`);
      }
    }
  }
  return { shape: header.shape, dtype, data };
}

/** The sample dtype of a data array's header, its order and shape checked ([n, ...], C order, no empty sample axis). */
export function checkDataHeader(header: NpyHeader, file: string): SampleDtype {
  const dtype = Object.hasOwn(DATA_DTYPES, header.descr) ? DATA_DTYPES[header.descr]! : undefined;
  if (dtype === undefined) {
    throw new FormatError(
      `${file}: .npy dtype '${header.descr}' is not supported for data${byteOrderHint(header.descr)}; expected '|u1' (uint8), '<f4' (float32) or '<f8' (float64): save a.astype(np.float32)`,
    );
  }
  orderProblem(header, file, 'the array');
  if (header.shape.length < 2) {
    throw new FormatError(`${file}: .npy shape ${formatShape(header.shape)} has no sample axis; expected [n, ...] (for n scalars save a.reshape(-1, 1))`);
  }
  const zero = header.shape.findIndex((d, i) => i > 0 && d === 0);
  if (zero > 0) throw new FormatError(`${file}: .npy shape ${formatShape(header.shape)} has an empty sample axis ${zero}; every sample dim must be positive`);
  return dtype;
}

function littleEndianFloats(raw: Uint8Array<ArrayBuffer>, dtype: 'float32' | 'float64', count: number): Float32Array | Float64Array {
  const view = new DataView(raw.buffer);
  if (dtype === 'float32') {
    const out = new Float32Array(count);
    for (let k = 0; k < count; k++) out[k] = view.getFloat32(4 * k, true);
    return out;
  }
  const out = new Float64Array(count);
  for (let k = 0; k < count; k++) out[k] = view.getFloat64(8 * k, true);
  return out;
}

/** A 1-D array of integer labels, each 0 <= label < 2^31. */
export function parseNpyLabels(bytes: Uint8Array, file: string, maxBytes = Number.MAX_SAFE_INTEGER): Int32Array {
  const header = parseNpyHeader(bytes, file);
  const type = Object.hasOwn(LABEL_DTYPES, header.descr) ? LABEL_DTYPES[header.descr]! : undefined;
  if (type === undefined) {
    throw new FormatError(
      `${file}: .npy dtype '${header.descr}' is not supported for labels${byteOrderHint(header.descr)}; expected an integer dtype (${Object.keys(LABEL_DTYPES).join(', ')}): save a.astype(np.int64)`,
    );
  }
  orderProblem(header, file, 'the labels array');
  if (header.shape.length !== 1) {
    throw new FormatError(`${file}: labels must be a 1-D array [n], found shape ${formatShape(header.shape)} (save a.ravel())`);
  }
  const count = checkPayload(bytes, header, type.size, file, maxBytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset + header.dataOffset, count * type.size);
  const labels = new Int32Array(count);
  for (let k = 0; k < count; k++) {
    const v = readInteger(view, k, type.size, type.signed);
    if (v < 0 || v > MAX_LABEL) {
      throw new DataError(`${file}: label ${v} at index ${k} is outside 0 .. ${MAX_LABEL}; labels are class indices`);
    }
    labels[k] = Number(v);
  }
  return labels;
}

function readInteger(view: DataView, k: number, size: number, signed: boolean): number | bigint {
  const at = k * size;
  switch (size) {
    case 1:
      return view.getUint8(at);
    case 2:
      return signed ? view.getInt16(at, true) : view.getUint16(at, true);
    case 4:
      return signed ? view.getInt32(at, true) : view.getUint32(at, true);
    default:
      return signed ? view.getBigInt64(at, true) : view.getBigUint64(at, true);
  }
}

const DESCR: Readonly<Record<string, string>> = { Uint8Array: '|u1', Float32Array: '<f4', Float64Array: '<f8', Int32Array: '<i4' };

/**
 * An .npy file (version 1.0, C order, little-endian) of `data` with `shape`; the header is
 * padded so the data starts at a multiple of 64 bytes, as numpy writes it.
 */
export function encodeNpy(data: Uint8Array | Float32Array | Float64Array | Int32Array, shape: readonly number[]): Uint8Array<ArrayBuffer> {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new DataError(`encodeNpy: shape ${formatShape(shape)} holds ${count} values, data has ${data.length}`);
  const descr = DESCR[data.constructor.name]!;
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${dims}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set(MAGIC);
  out.set([1, 0, header.length & 0xff, header.length >> 8], 6);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const view = new DataView(out.buffer, 10 + header.length);
  const size = data.BYTES_PER_ELEMENT;
  for (let k = 0; k < data.length; k++) {
    const v = data[k]!;
    if (size === 1) view.setUint8(k, v);
    else if (data instanceof Float32Array) view.setFloat32(4 * k, v, true);
    else if (data instanceof Float64Array) view.setFloat64(8 * k, v, true);
    else view.setInt32(4 * k, v, true);
  }
  return out;
}
