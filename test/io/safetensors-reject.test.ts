// decodeSafetensors on malformed input: every case is a FormatError whose message names
// the file, the problem and (where there is one) the tensor.
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/errors.js';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import { f32le, rawFile } from './safetensors-fixtures.js';

const SOURCE = 'runs/bad.safetensors';

function expectRejected(bytes: Uint8Array, problem: RegExp, tensor?: string): void {
  let caught: unknown;
  try {
    decodeSafetensors(bytes, SOURCE);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(FormatError);
  const message = (caught as Error).message;
  expect(message.startsWith(`${SOURCE}: `), message).toBe(true);
  expect(message).toMatch(problem);
  if (tensor !== undefined) expect(message).toContain(`"${tensor}"`);
}

/** A one-tensor file whose entry for "w" is `entry`, over `data`. */
function withEntry(entry: unknown, data: Uint8Array = f32le([1, 2])): Uint8Array {
  return rawFile({ w: entry }, data, { pad: true });
}

describe('decodeSafetensors rejects a malformed container', () => {
  it('shorter than 8 bytes', () => {
    expectRejected(new Uint8Array(0), /0 bytes is too short/);
    expectRejected(new Uint8Array(7), /7 bytes is too short/);
  });

  it('header length 0', () => {
    expectRejected(rawFile('', new Uint8Array(8)), /header length is 0/);
  });

  it('absurd header length', () => {
    expectRejected(rawFile('{}', new Uint8Array(0), { length: 2n ** 40n }), /header length 1099511627776 is over the 100000000-byte limit/);
    expectRejected(rawFile('{}', new Uint8Array(0), { length: 2n ** 64n - 1n }), /over the 100000000-byte limit/);
  });

  it('header length past the end of the file', () => {
    expectRejected(rawFile('{}', new Uint8Array(0), { length: 100n }), /header length 100 runs past the end of the file \(2 bytes follow it/);
  });

  it('header not UTF-8', () => {
    const bytes = rawFile('{"a":1}');
    bytes[10] = 0xff;
    expectRejected(bytes, /header is not valid UTF-8/);
  });

  it('header with a byte-order mark or leading space', () => {
    expectRejected(rawFile('\ufeff{}'), /header must start with '\{'/);
    expectRejected(rawFile(' {}'), /header must start with '\{'/);
  });

  it('header not JSON', () => {
    expectRejected(rawFile('{"w": {"dtype": "F32",', new Uint8Array(0), { pad: true }), /header is not valid JSON/);
    expectRejected(rawFile('{} x'), /header is not valid JSON/);
  });

  it('header not an object', () => {
    expectRejected(rawFile('[1, 2]'), /header must start with '\{', found "\[1, 2\]"/);
    expectRejected(rawFile('"{}"'), /header must start with '\{'/);
  });
});

describe('decodeSafetensors rejects bad metadata', () => {
  it('__metadata__ not an object', () => {
    expectRejected(rawFile({ __metadata__: ['a'] }), /"__metadata__" must be an object of strings, found \["a"\]/);
    expectRejected(rawFile({ __metadata__: null }), /"__metadata__" must be an object of strings, found null/);
    expectRejected(rawFile({ __metadata__: 'x' }), /"__metadata__" must be an object of strings/);
  });

  it('__metadata__ with a non-string value', () => {
    expectRejected(rawFile({ __metadata__: { format: 'ae-wasm/1', epoch: 3 } }), /"__metadata__" value for "epoch" must be a string, found 3/);
    expectRejected(rawFile({ __metadata__: { nested: { a: 'b' } } }), /value for "nested" must be a string/);
  });
});

describe('decodeSafetensors rejects a bad tensor entry', () => {
  it('entry not an object', () => {
    expectRejected(withEntry(5), /tensor "w": entry must be an object/, 'w');
    expectRejected(withEntry([0, 8]), /tensor "w": entry must be an object/, 'w');
  });

  it('unknown or unsupported dtype', () => {
    expectRejected(withEntry({ dtype: 'F33', shape: [2], data_offsets: [0, 8] }), /tensor "w": unknown dtype "F33" \(expected one of F64, F32/, 'w');
    expectRejected(withEntry({ dtype: 'f32', shape: [2], data_offsets: [0, 8] }), /unknown dtype "f32"/, 'w');
    expectRejected(withEntry({ shape: [2], data_offsets: [0, 8] }), /unknown dtype nothing/, 'w');
    expectRejected(withEntry({ dtype: 'F8_E4M3', shape: [8], data_offsets: [0, 8] }), /dtype F8_E4M3 is not supported by ae-wasm/, 'w');
  });

  it('shape not an array of non-negative safe integers', () => {
    for (const shape of [2, null, '2', ['2'], [-1], [1.5], [2 ** 53], [1, true]]) {
      expectRejected(withEntry({ dtype: 'F32', shape, data_offsets: [0, 8] }), /tensor "w": shape must be an array of non-negative integers/, 'w');
    }
  });

  it('shape with too many elements', () => {
    const shape = [2 ** 30, 2 ** 30, 2 ** 30];
    expectRejected(withEntry({ dtype: 'U8', shape, data_offsets: [0, 8] }), /tensor "w": shape \[.*\] has too many elements/, 'w');
  });

  it('data_offsets not two non-negative integers', () => {
    for (const offsets of [undefined, 8, [8], [0, 4, 8], [0, 8.5], [-4, 4], ['0', '8'], [0, 2 ** 53]]) {
      expectRejected(withEntry({ dtype: 'F32', shape: [2], data_offsets: offsets }), /tensor "w": data_offsets must be \[begin, end\] of non-negative integers/, 'w');
    }
  });

  it('data_offsets with begin after end', () => {
    expectRejected(withEntry({ dtype: 'F32', shape: [2], data_offsets: [8, 0] }), /tensor "w": data_offsets \[8, 0\] has begin after end/, 'w');
  });

  it('data_offsets past the data section', () => {
    expectRejected(withEntry({ dtype: 'F32', shape: [3], data_offsets: [0, 12] }), /tensor "w": data_offsets \[0, 12\] end past the data section \(8 bytes\)/, 'w');
  });

  it('byte length not shape times dtype size', () => {
    expectRejected(withEntry({ dtype: 'F32', shape: [1], data_offsets: [0, 8] }), /tensor "w": data_offsets \[0, 8\] span 8 bytes but F32 shape \[1\] needs 4/, 'w');
    expectRejected(withEntry({ dtype: 'F64', shape: [2], data_offsets: [0, 8] }), /span 8 bytes but F64 shape \[2\] needs 16/, 'w');
    expectRejected(withEntry({ dtype: 'F32', shape: [], data_offsets: [0, 8] }), /F32 shape \[\] needs 4/, 'w');
    expectRejected(withEntry({ dtype: 'F32', shape: [0], data_offsets: [0, 8] }), /F32 shape \[0\] needs 0/, 'w');
  });

  it('BOOL element other than 0 or 1', () => {
    expectRejected(withEntry({ dtype: 'BOOL', shape: [3], data_offsets: [0, 3] }, new Uint8Array([1, 0, 2])), /tensor "w": BOOL element 2 is 2/, 'w');
  });
});

describe('decodeSafetensors rejects a data section not covered exactly', () => {
  const f32 = (begin: number, n: number) => ({ dtype: 'F32', shape: [n], data_offsets: [begin, begin + 4 * n] });

  it('overlapping tensors', () => {
    const bytes = rawFile({ a: f32(0, 2), b: f32(4, 2) }, new Uint8Array(12), { pad: true });
    expectRejected(bytes, /tensor "b" at \[4, 12\] overlaps tensor "a" at \[0, 8\]/);
  });

  it('two tensors on the same bytes', () => {
    expectRejected(rawFile({ a: f32(0, 1), b: f32(0, 1) }, new Uint8Array(4)), /tensor "b" at \[0, 4\] overlaps tensor "a" at \[0, 4\]/);
  });

  it('an empty tensor placed inside another', () => {
    const bytes = rawFile({ a: f32(0, 2), e: { dtype: 'F32', shape: [0], data_offsets: [4, 4] } }, new Uint8Array(8));
    expectRejected(bytes, /tensor "e" at \[4, 4\] overlaps tensor "a"/);
  });

  it('a gap between tensors', () => {
    const bytes = rawFile({ a: f32(0, 1), b: f32(8, 1) }, new Uint8Array(12));
    expectRejected(bytes, /gap of 4 bytes after tensor "a", before tensor "b" at \[8, 12\]/);
  });

  it('a gap at the start', () => {
    expectRejected(rawFile({ a: f32(4, 1) }, new Uint8Array(8)), /gap of 4 bytes at the start of the data section, before tensor "a"/);
  });

  it('trailing bytes after the last tensor', () => {
    expectRejected(rawFile({ a: f32(0, 1) }, new Uint8Array(6)), /2 trailing bytes after the last tensor \(data section is 6 bytes, tensors cover 4\)/);
    expectRejected(rawFile({ __metadata__: {} }, new Uint8Array(1)), /1 trailing bytes after the last tensor/);
  });

  it('still accepts the tightest valid files', () => {
    expect(decodeSafetensors(rawFile('{}')).tensors.size).toBe(0);
    expect(decodeSafetensors(rawFile({ a: f32(0, 1) }, f32le([3]))).tensors.get('a')!.data[0]).toBe(3);
    expect(decodeSafetensors(rawFile('{}      ')).metadata).toEqual({});
  });
});

