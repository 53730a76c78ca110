// Safetensors dtypes: element size, the typed array each one maps to, and byte order.
// Browser-safe (no `node:` imports).
//
// The format stores every element little-endian. Typed arrays use the host's order, so
// the (practically extinct) big-endian hosts swap bytes on the way in and out.

/** Dtypes ae-wasm can both write and read, each with its typed array. */
export interface EncodableArrays {
  F64: Float64Array;
  F32: Float32Array;
  I64: BigInt64Array;
  U64: BigUint64Array;
  I32: Int32Array;
  U32: Uint32Array;
  I16: Int16Array;
  U16: Uint16Array;
  I8: Int8Array;
  U8: Uint8Array;
  /** One byte per element, 0 or 1 (numpy's and torch's layout). */
  BOOL: Uint8Array;
}
export type EncodableDtype = keyof EncodableArrays;

/**
 * Half-precision dtypes are read only, widened to Float32 (every F16 and BF16 value is
 * exactly representable there). Writing them would mean rounding, which the model files
 * never need.
 */
export type DecodeOnlyDtype = 'F16' | 'BF16';

export type Dtype = EncodableDtype | DecodeOnlyDtype;

/** What the decoder returns for each dtype: always a fresh, aligned ArrayBuffer. */
export interface DecodedArrays {
  F64: Float64Array<ArrayBuffer>;
  F32: Float32Array<ArrayBuffer>;
  I64: BigInt64Array<ArrayBuffer>;
  U64: BigUint64Array<ArrayBuffer>;
  I32: Int32Array<ArrayBuffer>;
  U32: Uint32Array<ArrayBuffer>;
  I16: Int16Array<ArrayBuffer>;
  U16: Uint16Array<ArrayBuffer>;
  I8: Int8Array<ArrayBuffer>;
  U8: Uint8Array<ArrayBuffer>;
  BOOL: Uint8Array<ArrayBuffer>;
  F16: Float32Array<ArrayBuffer>;
  BF16: Float32Array<ArrayBuffer>;
}

interface DtypeInfo {
  /** Bytes per element in the file. */
  readonly size: number;
  /** `Symbol.toStringTag` of the typed array that holds it in memory. */
  readonly arrayTag: string;
}

export const DTYPES: Readonly<Record<Dtype, DtypeInfo>> = {
  F64: { size: 8, arrayTag: 'Float64Array' },
  F32: { size: 4, arrayTag: 'Float32Array' },
  I64: { size: 8, arrayTag: 'BigInt64Array' },
  U64: { size: 8, arrayTag: 'BigUint64Array' },
  I32: { size: 4, arrayTag: 'Int32Array' },
  U32: { size: 4, arrayTag: 'Uint32Array' },
  I16: { size: 2, arrayTag: 'Int16Array' },
  U16: { size: 2, arrayTag: 'Uint16Array' },
  I8: { size: 1, arrayTag: 'Int8Array' },
  U8: { size: 1, arrayTag: 'Uint8Array' },
  BOOL: { size: 1, arrayTag: 'Uint8Array' },
  F16: { size: 2, arrayTag: 'Float32Array' },
  BF16: { size: 2, arrayTag: 'Float32Array' },
};

/** Dtypes in the safetensors spec that we recognise but cannot represent. */
export const UNSUPPORTED_DTYPES: ReadonlySet<string> = new Set(['F8_E4M3', 'F8_E5M2', 'F8_E8M0', 'F6_E2M3', 'F6_E3M2', 'F4']);

export function isDtype(s: unknown): s is Dtype {
  return typeof s === 'string' && Object.hasOwn(DTYPES, s);
}

export function isDecodeOnly(d: Dtype): d is DecodeOnlyDtype {
  return d === 'F16' || d === 'BF16';
}

/**
 * The typed array's class name, read through `Symbol.toStringTag` rather than
 * `instanceof` so arrays from another realm (a worker, a vm context) and Node Buffers
 * (tag `Uint8Array`) are recognised.
 */
export function arrayTag(data: unknown): string {
  if (!ArrayBuffer.isView(data) || data instanceof DataView) return data === null ? 'null' : typeof data;
  return (data as unknown as { [Symbol.toStringTag]: string })[Symbol.toStringTag];
}

export const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverses every `size`-byte group in place: little-endian <-> big-endian. */
export function swapBytes(bytes: Uint8Array, size: number): void {
  for (let i = 0; i + size <= bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}

/** Builds the in-memory array for `bytes` (little-endian, any alignment); copies. */
export function typedArrayFromLittleEndian<D extends Dtype>(dtype: D, bytes: Uint8Array): DecodedArrays[D];
export function typedArrayFromLittleEndian(dtype: Dtype, bytes: Uint8Array): DecodedArrays[Dtype] {
  const size = DTYPES[dtype].size;
  // A fresh buffer is 8-aligned, so every typed array view over it is legal.
  const copy = new Uint8Array(bytes);
  if (!HOST_IS_LITTLE_ENDIAN) swapBytes(copy, size);
  const buf = copy.buffer;
  const n = copy.length / size;
  switch (dtype) {
    case 'F64': return new Float64Array(buf, 0, n);
    case 'F32': return new Float32Array(buf, 0, n);
    case 'I64': return new BigInt64Array(buf, 0, n);
    case 'U64': return new BigUint64Array(buf, 0, n);
    case 'I32': return new Int32Array(buf, 0, n);
    case 'U32': return new Uint32Array(buf, 0, n);
    case 'I16': return new Int16Array(buf, 0, n);
    case 'U16': return new Uint16Array(buf, 0, n);
    case 'I8': return new Int8Array(buf, 0, n);
    case 'U8':
    case 'BOOL': return copy;
    case 'F16': return float16ToFloat32(new Uint16Array(buf, 0, n));
    case 'BF16': return bfloat16ToFloat32(new Uint16Array(buf, 0, n));
  }
}

/** IEEE binary16 bit patterns -> float32, exactly (NaN payloads kept). */
export function float16ToFloat32(half: Uint16Array): Float32Array<ArrayBuffer> {
  const out = new Float32Array(half.length);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < half.length; i++) {
    const h = half[i]!;
    const sign = (h & 0x8000) << 16;
    const exp = (h >> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0) {
      // Zero or subnormal: mant * 2^-24 is exact in float32.
      out[i] = mant * 2 ** -24;
      if (sign) out[i] = -out[i]!;
    } else if (exp === 0x1f) {
      bits[i] = (sign | 0x7f800000 | (mant << 13)) >>> 0;
    } else {
      // Rebias the exponent from 15 to 127.
      bits[i] = (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
    }
  }
  return out;
}

/** bfloat16 is the top half of a float32. */
export function bfloat16ToFloat32(half: Uint16Array): Float32Array<ArrayBuffer> {
  const out = new Float32Array(half.length);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < half.length; i++) bits[i] = half[i]! << 16 >>> 0;
  return out;
}
