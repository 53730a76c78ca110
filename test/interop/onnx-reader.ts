// A minimal protobuf reader for the tests: decodes the ModelProto fields the exporter writes,
// written independently of src/interop/onnx-proto.ts (a decoder sharing the encoder's
// field table would agree with it whatever the table said): field numbers from onnx.proto.

interface Field {
  field: number;
  wire: number;
  int?: bigint;
  bytes?: Uint8Array;
  f32?: number;
}

function readFields(b: Uint8Array): Field[] {
  const out: Field[] = [];
  let i = 0;
  const varint = (): bigint => {
    let v = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const byte = b[i++]!;
      v |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return v;
    }
  };
  while (i < b.length) {
    const key = Number(varint());
    const field = key >> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ field, wire, int: BigInt.asIntN(64, varint()) });
    else if (wire === 2) {
      const n = Number(varint());
      out.push({ field, wire, bytes: b.subarray(i, i + n) });
      i += n;
    } else if (wire === 5) {
      out.push({ field, wire, f32: new DataView(b.buffer, b.byteOffset + i, 4).getFloat32(0, true) });
      i += 4;
    } else throw new Error(`unexpected wire type ${wire}`);
  }
  return out;
}

const text = (b: Uint8Array | undefined): string => new TextDecoder().decode(b);

export interface ReadAttribute {
  name: string;
  type: number;
  i?: number;
  f?: number;
  s?: string;
  ints: number[];
}
export interface ReadNode {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs: Map<string, ReadAttribute>;
}
export interface ReadModel {
  irVersion: number;
  opsets: { domain: string; version: number }[];
  producer: string;
  metadata: Map<string, string>;
  nodes: ReadNode[];
  initializers: { name: string; dims: number[]; dataType: number; raw: Uint8Array }[];
  inputs: { name: string; dims: (number | string)[] }[];
  outputs: { name: string; dims: (number | string)[] }[];
}

function valueInfo(b: Uint8Array): { name: string; dims: (number | string)[] } {
  const f = readFields(b);
  const type = readFields(f.find((x) => x.field === 2)!.bytes!);
  const tensor = readFields(type.find((x) => x.field === 1)!.bytes!);
  const shape = readFields(tensor.find((x) => x.field === 2)!.bytes!);
  const dims = shape.filter((x) => x.field === 1).map((d) => {
    const dd = readFields(d.bytes!)[0]!;
    return dd.field === 1 ? Number(dd.int) : text(dd.bytes);
  });
  return { name: text(f.find((x) => x.field === 1)!.bytes), dims };
}

export function readOnnx(bytes: Uint8Array): ReadModel {
  const m = readFields(bytes);
  const graph = readFields(m.find((x) => x.field === 7)!.bytes!);
  return {
    irVersion: Number(m.find((x) => x.field === 1)!.int),
    producer: text(m.find((x) => x.field === 2)?.bytes),
    opsets: m.filter((x) => x.field === 8).map((x) => {
      const o = readFields(x.bytes!);
      return { domain: text(o.find((y) => y.field === 1)?.bytes), version: Number(o.find((y) => y.field === 2)!.int) };
    }),
    metadata: new Map(m.filter((x) => x.field === 14).map((x) => {
      const e = readFields(x.bytes!);
      return [text(e.find((y) => y.field === 1)!.bytes), text(e.find((y) => y.field === 2)!.bytes)];
    })),
    nodes: graph.filter((x) => x.field === 1).map((x) => {
      const n = readFields(x.bytes!);
      const attrs = new Map<string, ReadAttribute>();
      for (const a of n.filter((y) => y.field === 5)) {
        const af = readFields(a.bytes!);
        const attr: ReadAttribute = {
          name: text(af.find((y) => y.field === 1)!.bytes),
          type: Number(af.find((y) => y.field === 20)!.int),
          ints: af.filter((y) => y.field === 8).map((y) => Number(y.int)),
        };
        const i = af.find((y) => y.field === 3);
        if (i) attr.i = Number(i.int);
        const f = af.find((y) => y.field === 2);
        if (f) attr.f = f.f32!;
        const s = af.find((y) => y.field === 4);
        if (s) attr.s = text(s.bytes);
        attrs.set(attr.name, attr);
      }
      return {
        op: text(n.find((y) => y.field === 4)!.bytes),
        inputs: n.filter((y) => y.field === 1).map((y) => text(y.bytes)),
        outputs: n.filter((y) => y.field === 2).map((y) => text(y.bytes)),
        attrs,
      };
    }),
    initializers: graph.filter((x) => x.field === 5).map((x) => {
      const t = readFields(x.bytes!);
      return {
        name: text(t.find((y) => y.field === 8)!.bytes),
        dims: t.filter((y) => y.field === 1).map((y) => Number(y.int)),
        dataType: Number(t.find((y) => y.field === 2)!.int),
        raw: t.find((y) => y.field === 9)!.bytes!,
      };
    }),
    inputs: graph.filter((x) => x.field === 11).map((x) => valueInfo(x.bytes!)),
    outputs: graph.filter((x) => x.field === 12).map((x) => valueInfo(x.bytes!)),
  };
}
