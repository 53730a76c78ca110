// Safetensors round trips: every encodable dtype with scalars, empty tensors and odd
// byte lengths; exact values (NaN, -0, extremes); byte-identical re-encode; the header
// layout; and a file built by hand the way Python's safetensors writes one.
import { describe, expect, it } from 'vitest';
import { ArgumentError, ShapeError } from '../../src/errors.js';
import {
  decodeSafetensors,
  encodeSafetensors,
  type DecodedTensor,
  type TensorEntry,
} from '../../src/io/safetensors.js';
import { concat, f32le, rawFile, u16le, utf8 } from './safetensors-fixtures.js';

const F32_SPECIAL = [0, -0, 1.5, -2.25, NaN, Infinity, -Infinity, 3.4028234663852886e38, 1.401298464324817e-45];

function entries(): TensorEntry[] {
  return [
    { name: 'f32.matrix', dtype: 'F32', shape: [3, 3], data: new Float32Array(F32_SPECIAL) },
    { name: 'f32.scalar', dtype: 'F32', shape: [], data: new Float32Array([0.1]) },
    { name: 'f32.empty', dtype: 'F32', shape: [0], data: new Float32Array(0) },
    // Five bytes: everything after starts at an odd offset in the data section.
    { name: 'u8.odd', dtype: 'U8', shape: [5], data: new Uint8Array([0, 1, 127, 128, 255]) },
    { name: 'f64.vector', dtype: 'F64', shape: [4], data: new Float64Array([Math.PI, -0, NaN, Number.MIN_VALUE]) },
    { name: 'f64.empty2d', dtype: 'F64', shape: [2, 0], data: new Float64Array(0) },
    { name: 'i64', dtype: 'I64', shape: [3], data: new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n, -1n]) },
    { name: 'u64', dtype: 'U64', shape: [2], data: new BigUint64Array([0n, 2n ** 64n - 1n]) },
    { name: 'i32', dtype: 'I32', shape: [2, 2], data: new Int32Array([-(2 ** 31), 2 ** 31 - 1, -1, 0]) },
    { name: 'u32', dtype: 'U32', shape: [1], data: new Uint32Array([2 ** 32 - 1]) },
    { name: 'i16', dtype: 'I16', shape: [3], data: new Int16Array([-32768, 32767, -1]) },
    { name: 'u16', dtype: 'U16', shape: [], data: new Uint16Array([65535]) },
    { name: 'i8', dtype: 'I8', shape: [3], data: new Int8Array([-128, 127, -1]) },
    { name: 'bool', dtype: 'BOOL', shape: [1, 3], data: new Uint8Array([1, 0, 1]) },
    { name: 'u8.empty', dtype: 'U8', shape: [0, 7], data: new Uint8Array(0) },
    { name: 'métrique ✓', dtype: 'F32', shape: [1, 1, 1], data: new Float32Array([-7]) },
    { name: '__proto__', dtype: 'U8', shape: [1], data: new Uint8Array([3]) },
  ];
}

const METADATA = { format: 'ae-wasm/1', architecture: '{"kind": "autoencoder", "q": "\\"quoted\\""}', 'ünïcode': '✓' };

/** Element-wise equality that distinguishes -0 from 0 and treats NaN as equal to NaN. */
function expectSameValues(actual: ArrayLike<number | bigint>, expected: ArrayLike<number | bigint>, label: string): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(Object.is(actual[i], expected[i]), `${label}[${i}]: ${actual[i]} vs ${expected[i]}`).toBe(true);
  }
}

function headerOf(bytes: Uint8Array): { length: number; text: string } {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { length, text: new TextDecoder().decode(bytes.subarray(8, 8 + length)) };
}

function reencode(tensors: Map<string, DecodedTensor>, metadata: Record<string, string>): Uint8Array {
  const list = [...tensors].map(([name, t]) => ({ name, ...t }) as TensorEntry);
  return encodeSafetensors(list, metadata);
}

describe('safetensors round trip', () => {
  it('decodes every dtype, scalar and empty tensor exactly, in order', () => {
    const input = entries();
    const { tensors, metadata } = decodeSafetensors(encodeSafetensors(input, METADATA), 'mem');
    expect([...tensors.keys()]).toEqual(input.map((t) => t.name));
    expect(metadata).toEqual(METADATA);
    for (const t of input) {
      const got = tensors.get(t.name)!;
      expect(got.dtype, t.name).toBe(t.dtype);
      expect(got.shape, t.name).toEqual(t.shape);
      expect(got.data.constructor, t.name).toBe(t.data.constructor);
      expectSameValues(got.data, t.data, t.name);
      // Copies on their own buffer, aligned whatever the file offset was.
      expect(got.data.byteOffset % got.data.BYTES_PER_ELEMENT, t.name).toBe(0);
    }
  });

  it('re-encodes a decoded file byte for byte', () => {
    const first = encodeSafetensors(entries(), METADATA);
    const { tensors, metadata } = decodeSafetensors(first);
    expect(reencode(tensors, metadata)).toEqual(first);

    const noMetadata = encodeSafetensors(entries());
    const again = decodeSafetensors(noMetadata);
    expect(again.metadata).toEqual({});
    expect(reencode(again.tensors, again.metadata)).toEqual(noMetadata);
  });

  it('keeps several empty tensors at one offset in their written order', () => {
    const input: TensorEntry[] = [
      { name: 'z', dtype: 'F32', shape: [1], data: new Float32Array([1]) },
      { name: 'b', dtype: 'F32', shape: [0], data: new Float32Array(0) },
      { name: 'a', dtype: 'U8', shape: [0], data: new Uint8Array(0) },
      { name: 'y', dtype: 'F32', shape: [1], data: new Float32Array([2]) },
    ];
    const bytes = encodeSafetensors(input);
    const { tensors } = decodeSafetensors(bytes);
    expect([...tensors.keys()]).toEqual(['z', 'b', 'a', 'y']);
    expect(reencode(tensors, {})).toEqual(bytes);
  });

  it('encodes an empty list as a valid file', () => {
    const bytes = encodeSafetensors([]);
    expect(headerOf(bytes).text.trimEnd()).toBe('{}');
    expect(decodeSafetensors(bytes).tensors.size).toBe(0);
  });

  it('writes only the viewed part of a subarray', () => {
    const backing = new Float32Array([9, 9, 1, 2, 3, 9]);
    const bytes = encodeSafetensors([{ name: 'w', dtype: 'F32', shape: [3], data: backing.subarray(2, 5) }]);
    expect(decodeSafetensors(bytes).tensors.get('w')!.data).toEqual(new Float32Array([1, 2, 3]));
  });

  it('decodes from a Uint8Array at any byte offset', () => {
    const file = encodeSafetensors(entries(), METADATA);
    const shifted = new Uint8Array(file.length + 3);
    shifted.set(file, 3);
    const { tensors } = decodeSafetensors(shifted.subarray(3));
    expectSameValues(tensors.get('f64.vector')!.data, [Math.PI, -0, NaN, Number.MIN_VALUE], 'f64.vector');
  });
});

describe('safetensors header layout', () => {
  it('pads the header with spaces so the data section starts 8-aligned', () => {
    for (let extra = 0; extra < 10; extra++) {
      // Names of growing length walk the JSON length through every residue mod 8.
      const bytes = encodeSafetensors([{ name: 'x'.repeat(extra + 1), dtype: 'U8', shape: [1], data: new Uint8Array([7]) }]);
      const { length, text } = headerOf(bytes);
      expect((8 + length) % 8).toBe(0);
      const json = text.trimEnd();
      expect(text.slice(json.length)).toMatch(/^ {0,7}$/);
      expect(bytes.length).toBe(8 + length + 1);
      expect(() => JSON.parse(text)).not.toThrow();
    }
  });

  it('lays tensors out contiguously in the given order, metadata first', () => {
    const bytes = encodeSafetensors(
      [
        { name: 'b', dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) },
        { name: 'a', dtype: 'U8', shape: [3], data: new Uint8Array([1, 2, 3]) },
      ],
      { format: 'ae-wasm/1' },
    );
    expect(headerOf(bytes).text.trimEnd()).toBe(
      '{"__metadata__":{"format":"ae-wasm/1"},' +
        '"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' +
        '"a":{"dtype":"U8","shape":[3],"data_offsets":[8,11]}}',
    );
    const { length } = headerOf(bytes);
    expect(Array.from(bytes.subarray(8 + length))).toEqual([...f32le([1, 2]), 1, 2, 3]);
  });
});

describe('a file written by another tool', () => {
  it('decodes a hand-built Python-style file: sorted keys, data not in key order, no padding', () => {
    // Python's safetensors sorts header keys and may order the data differently; its
    // header is padded only to the 8-byte boundary. Here it is deliberately unpadded,
    // so every tensor sits at an unaligned absolute offset.
    const header =
      '{"__metadata__":{"format":"pt","note":"hand-built"},' +
      '"alpha":{"dtype":"F32","shape":[2,2],"data_offsets":[3,19]},' +
      '"beta":{"dtype":"U8","shape":[3],"data_offsets":[0,3]},' +
      '"gamma":{"dtype":"I32","shape":[],"data_offsets":[19,23]}}';
    const i32 = new Uint8Array([0xfe, 0xff, 0xff, 0xff]); // -2 little-endian
    const data = concat(new Uint8Array([10, 20, 30]), f32le([1, -2.5, 0.25, 1e-3]), i32);
    const bytes = rawFile(header, data);
    expect((8 + utf8(header).length) % 8).not.toBe(0);

    const { tensors, metadata } = decodeSafetensors(bytes, 'python.safetensors');
    expect(metadata).toEqual({ format: 'pt', note: 'hand-built' });
    expect([...tensors.keys()]).toEqual(['beta', 'alpha', 'gamma']);
    expect(tensors.get('beta')).toEqual({ dtype: 'U8', shape: [3], data: new Uint8Array([10, 20, 30]) });
    expect(tensors.get('alpha')).toEqual({ dtype: 'F32', shape: [2, 2], data: new Float32Array([1, -2.5, 0.25, 1e-3]) });
    expect(tensors.get('gamma')).toEqual({ dtype: 'I32', shape: [], data: new Int32Array([-2]) });
  });

  it('accepts the padded variant and ignores unknown keys in a tensor entry', () => {
    const header = { __metadata__: { format: 'pt' }, w: { dtype: 'F32', shape: [1], data_offsets: [0, 4], extra: true } };
    const { tensors } = decodeSafetensors(rawFile(header, f32le([42]), { pad: true }));
    expect(tensors.get('w')!.data).toEqual(new Float32Array([42]));
  });

  it('accepts an empty tensor listed after a non-empty one at the same offset', () => {
    const header = { b: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, a: { dtype: 'F32', shape: [0], data_offsets: [0, 0] } };
    const { tensors } = decodeSafetensors(rawFile(header, f32le([5])));
    expect([...tensors.keys()]).toEqual(['a', 'b']);
  });

  it('widens F16 and BF16 to Float32 exactly', () => {
    const halves = [0x3c00, 0xc000, 0x7bff, 0x0001, 0x8000, 0x7c00, 0xfc00, 0x3555];
    const bf16 = [0x3f80, 0xc040, 0x0000, 0x7f80];
    const data = u16le([...halves, ...bf16]);
    const header = {
      h: { dtype: 'F16', shape: [8], data_offsets: [0, 16] },
      b: { dtype: 'BF16', shape: [2, 2], data_offsets: [16, 24] },
    };
    const { tensors } = decodeSafetensors(rawFile(header, data));
    const h = tensors.get('h')!;
    expect(h.dtype).toBe('F16');
    expect(h.data).toBeInstanceOf(Float32Array);
    expectSameValues(h.data, [1, -2, 65504, 2 ** -24, -0, Infinity, -Infinity, 0.333251953125], 'F16');
    expectSameValues(tensors.get('b')!.data, [1, -3, 0, Infinity], 'BF16');
  });
});

describe('encodeSafetensors input validation', () => {
  const ok = (): TensorEntry => ({ name: 'w', dtype: 'F32', shape: [2], data: new Float32Array(2) });
  const cases: [string, () => unknown, typeof ArgumentError | typeof ShapeError, RegExp][] = [
    ['empty name', () => encodeSafetensors([{ ...ok(), name: '' }]), ArgumentError, /tensor 0: name must be a non-empty string/],
    ['reserved name', () => encodeSafetensors([{ ...ok(), name: '__metadata__' }]), ArgumentError, /"__metadata__".*reserved/],
    ['duplicate', () => encodeSafetensors([ok(), ok()]), ArgumentError, /tensor "w": duplicate name/],
    ['length', () => encodeSafetensors([{ ...ok(), shape: [3] }]), ShapeError, /tensor "w": shape \[3\] needs 3 elements, data has 2/],
    ['negative dim', () => encodeSafetensors([{ ...ok(), shape: [-2] }]), ShapeError, /tensor "w": shape must be an array of non-negative integers/],
    ['fractional dim', () => encodeSafetensors([{ ...ok(), shape: [0.5, 4] }]), ShapeError, /non-negative integers, found \[0.5,4\]/],
    ['wrong array', () => encodeSafetensors([{ ...ok(), data: new Float64Array(2) } as unknown as TensorEntry]), ArgumentError, /tensor "w": dtype F32 needs a Float32Array, found Float64Array/],
    ['plain array', () => encodeSafetensors([{ ...ok(), data: [1, 2] } as unknown as TensorEntry]), ArgumentError, /needs a Float32Array, found object/],
    ['unknown dtype', () => encodeSafetensors([{ ...ok(), dtype: 'F33' } as unknown as TensorEntry]), ArgumentError, /cannot write dtype "F33"/],
    ['decode-only dtype', () => encodeSafetensors([{ ...ok(), dtype: 'F16' } as unknown as TensorEntry]), ArgumentError, /cannot write dtype "F16"/],
    ['bool value', () => encodeSafetensors([{ name: 'm', dtype: 'BOOL', shape: [2], data: new Uint8Array([1, 2]) }]), ArgumentError, /BOOL data must be 0 or 1, found 2 at element 1/],
    ['metadata value', () => encodeSafetensors([ok()], { epoch: 3 } as unknown as Record<string, string>), ArgumentError, /metadata "epoch" must be a string/],
  ];
  it.each(cases)('rejects %s', (_, run, errorClass, message) => {
    expect(run).toThrow(errorClass);
    expect(run).toThrow(message);
  });
});
