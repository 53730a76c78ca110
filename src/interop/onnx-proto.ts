// The few ONNX protobuf messages an export writes, encoded by hand (onnx/onnx.proto, IR
// version 8). A model needs ten message types and four wire types; a protobuf runtime and a
// generated schema would be a dependency of the library for ~150 lines of writing, so the
// encoder lives here and test/interop/export-onnx-proto.test.ts holds it to known bytes and
// to ONNX Runtime, which parses every file the oracle tests export.
//
// Wire format: each field is a key varint (field number << 3 | wire type) then its value —
// varint (0), 64-bit (1, unused), length-delimited bytes (2), 32-bit float (5). Repeated
// scalars are written unpacked, which every parser accepts for proto2 (onnx.proto is proto2).

import { ShapeError } from '../errors.js';

/** A growing byte buffer of protobuf fields. */
export class ProtoWriter {
  private readonly parts: Uint8Array[] = [];
  private size = 0;

  private push(b: Uint8Array): void {
    this.parts.push(b);
    this.size += b.length;
  }

  private varintRaw(v: number | bigint): void {
    // Negative int64 values are ten-byte two's-complement varints.
    let n = BigInt.asUintN(64, BigInt(v));
    const out: number[] = [];
    while (n >= 0x80n) {
      out.push(Number(n & 0x7fn) | 0x80);
      n >>= 7n;
    }
    out.push(Number(n));
    this.push(Uint8Array.from(out));
  }

  private key(field: number, wire: number): void {
    this.varintRaw((field << 3) | wire);
  }

  /** int32 / int64 / enum field. */
  int(field: number, v: number): this {
    if (!Number.isSafeInteger(v)) throw new ShapeError(`ONNX export: protobuf int field ${field} got ${v}, expected a safe integer`);
    this.key(field, 0);
    this.varintRaw(v);
    return this;
  }

  float(field: number, v: number): this {
    this.key(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.push(b);
    return this;
  }

  bytes(field: number, data: Uint8Array): this {
    this.key(field, 2);
    this.varintRaw(data.length);
    this.push(data);
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  message(field: number, m: ProtoWriter): this {
    return this.bytes(field, m.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

/** TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, INT64: 7 } as const;

/** AttributeProto.AttributeType values used here. */
const AttrType = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const;

export type AttrValue = number | string | { ints: readonly number[] } | { float: number } | { floats: readonly number[] };

/** An ONNX node: op, inputs, outputs and attributes (a plain number is an INT attribute). */
export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  name: string;
  attrs?: Record<string, AttrValue>;
}

/** A constant tensor: float32 weights, or int64 (shapes for Reshape). */
export interface OnnxTensor {
  name: string;
  dims: readonly number[];
  data: Float32Array | BigInt64Array;
}

/** A graph input or output: float32 with a symbolic batch dimension first. */
export interface OnnxValue {
  name: string;
  /** Dimensions; a string is symbolic (dim_param). */
  dims: readonly (number | string)[];
}

export interface OnnxModel {
  irVersion: number;
  opset: number;
  producerName: string;
  producerVersion: string;
  docString: string;
  graphName: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValue[];
  outputs: OnnxValue[];
  metadata: Record<string, string>;
}

function attribute(name: string, v: AttrValue): ProtoWriter {
  // AttributeProto: name 1, f 2, i 3, s 4, floats 7, ints 8, type 20.
  const w = new ProtoWriter().string(1, name);
  if (typeof v === 'number') return w.int(3, v).int(20, AttrType.INT);
  if (typeof v === 'string') return w.string(4, v).int(20, AttrType.STRING);
  if ('float' in v) return w.float(2, v.float).int(20, AttrType.FLOAT);
  if ('floats' in v) {
    for (const f of v.floats) w.float(7, f);
    return w.int(20, AttrType.FLOATS);
  }
  for (const i of v.ints) w.int(8, i);
  return w.int(20, AttrType.INTS);
}

function node(n: OnnxNode): ProtoWriter {
  // NodeProto: input 1, output 2, name 3, op_type 4, attribute 5.
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name).string(4, n.op);
  for (const [k, v] of Object.entries(n.attrs ?? {})) w.message(5, attribute(k, v));
  return w;
}

function tensor(t: OnnxTensor): ProtoWriter {
  // TensorProto: dims 1, data_type 2, name 8, raw_data 9 (little-endian, as the spec requires).
  const w = new ProtoWriter();
  for (const d of t.dims) w.int(1, d);
  w.int(2, t.data instanceof Float32Array ? DataType.FLOAT : DataType.INT64).string(8, t.name);
  const raw = new Uint8Array(t.data.byteLength);
  const view = new DataView(raw.buffer);
  if (t.data instanceof Float32Array) t.data.forEach((v, i) => view.setFloat32(4 * i, v, true));
  else t.data.forEach((v, i) => view.setBigInt64(8 * i, v, true));
  return w.bytes(9, raw);
}

function valueInfo(v: OnnxValue): ProtoWriter {
  // ValueInfoProto { name 1, type 2 }; TypeProto { tensor_type 1 };
  // TypeProto.Tensor { elem_type 1, shape 2 }; TensorShapeProto { dim 1 };
  // Dimension { dim_value 1, dim_param 2 }.
  const shape = new ProtoWriter();
  for (const d of v.dims) shape.message(1, typeof d === 'string' ? new ProtoWriter().string(2, d) : new ProtoWriter().int(1, d));
  const tensorType = new ProtoWriter().int(1, DataType.FLOAT).message(2, shape);
  return new ProtoWriter().string(1, v.name).message(2, new ProtoWriter().message(1, tensorType));
}

/** The bytes of a ModelProto. */
export function encodeOnnxModel(m: OnnxModel): Uint8Array {
  // GraphProto: node 1, name 2, initializer 5, doc_string 10, input 11, output 12.
  const graph = new ProtoWriter();
  for (const n of m.nodes) graph.message(1, node(n));
  graph.string(2, m.graphName);
  for (const t of m.initializers) graph.message(5, tensor(t));
  for (const i of m.inputs) graph.message(11, valueInfo(i));
  for (const o of m.outputs) graph.message(12, valueInfo(o));
  // ModelProto: ir_version 1, producer_name 2, producer_version 3, doc_string 6, graph 7,
  // opset_import 8 (OperatorSetIdProto { domain 1, version 2 }), metadata_props 14
  // (StringStringEntryProto { key 1, value 2 }).
  const model = new ProtoWriter()
    .int(1, m.irVersion)
    .string(2, m.producerName)
    .string(3, m.producerVersion)
    .string(6, m.docString)
    .message(7, graph)
    .message(8, new ProtoWriter().string(1, '').int(2, m.opset));
  for (const [key, value] of Object.entries(m.metadata)) model.message(14, new ProtoWriter().string(1, key).string(2, value));
  return model.finish();
}
