// The hand-written protobuf encoder against bytes worked out from the wire format by hand,
// and a whole model read back by the independent reader (onnx-reader.ts).
import { describe, expect, it } from 'vitest';
import { encodeOnnxModel, ProtoWriter } from '../../src/interop/onnx-proto.js';
import { readOnnx } from './onnx-reader.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('ProtoWriter', () => {
  it.each([
    [0, '0800'],
    [1, '0801'],
    [127, '087f'],
    [128, '088001'],
    [300, '08ac02'],
    // int64 -1: ten-byte two's complement.
    [-1, '08ffffffffffffffffff01'],
    [2 ** 40, '08808080808020'],
  ])('int field 1 = %d', (v, want) => {
    expect(hex(new ProtoWriter().int(1, v).finish())).toBe(want);
  });

  it('writes floats as wire type 5 little-endian, strings and nested messages length-delimited', () => {
    expect(hex(new ProtoWriter().float(2, 1).finish())).toBe('150000803f');
    expect(hex(new ProtoWriter().string(4, 'Relu').finish())).toBe('220452656c75');
    // field 7, length 2, {field 1 = 5}
    expect(hex(new ProtoWriter().message(7, new ProtoWriter().int(1, 5)).finish())).toBe('3a020805');
    // A field number past 15 needs a two-byte key: (20 << 3) | 0 = 160.
    expect(hex(new ProtoWriter().int(20, 7).finish())).toBe('a00107');
  });

  it('refuses an integer it cannot write exactly', () => {
    expect(() => new ProtoWriter().int(1, 2 ** 60)).toThrow(/protobuf int field 1 got .* expected a safe integer/);
    expect(() => new ProtoWriter().int(1, 0.5)).toThrow(/safe integer/);
  });
});

describe('encodeOnnxModel', () => {
  it('writes every field the reader finds: header, opset, metadata, nodes with each attribute type, tensors, inputs and outputs', () => {
    const bytes = encodeOnnxModel({
      irVersion: 8,
      opset: 17,
      producerName: 'ae-wasm',
      producerVersion: '0.1.0',
      docString: 'd',
      graphName: 'g',
      nodes: [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'], name: 'n', attrs: { pads: { ints: [0, 1, 2, 3] }, axis: -1, mode: 'nearest', alpha: { float: 0.25 } } }],
      initializers: [
        { name: 'w', dims: [2, 1], data: Float32Array.of(1.5, -2) },
        { name: 's', dims: [2], data: BigInt64Array.of(-1n, 7n) },
      ],
      inputs: [{ name: 'x', dims: ['N', 3] }],
      outputs: [{ name: 'y', dims: ['N', 2] }],
      metadata: { k: 'v' },
    });
    const m = readOnnx(bytes);
    expect(m.irVersion).toBe(8);
    expect(m.opsets).toEqual([{ domain: '', version: 17 }]);
    expect(m.metadata).toEqual(new Map([['k', 'v']]));
    const n = m.nodes[0]!;
    expect([n.op, n.inputs, n.outputs]).toEqual(['Conv', ['x', 'w'], ['y']]);
    // AttributeType: INTS 7, INT 2, STRING 3, FLOAT 1.
    expect(n.attrs.get('pads')).toMatchObject({ type: 7, ints: [0, 1, 2, 3] });
    expect(n.attrs.get('axis')).toMatchObject({ type: 2, i: -1 });
    expect(n.attrs.get('mode')).toMatchObject({ type: 3, s: 'nearest' });
    expect(n.attrs.get('alpha')).toMatchObject({ type: 1, f: 0.25 });
    const [w, s] = m.initializers;
    // data_type FLOAT 1, INT64 7; raw_data little-endian.
    expect([w!.name, w!.dims, w!.dataType, hex(w!.raw)]).toEqual(['w', [2, 1], 1, '0000c03f000000c0']);
    expect([s!.dataType, hex(s!.raw)]).toEqual([7, 'ffffffffffffffff0700000000000000']);
    expect(m.inputs).toEqual([{ name: 'x', dims: ['N', 3] }]);
    expect(m.outputs).toEqual([{ name: 'y', dims: ['N', 2] }]);
  });
});
