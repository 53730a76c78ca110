// Builders for safetensors bytes written by hand, independent of our encoder, so the
// decoder is tested against the public spec rather than against itself.

/** 8-byte little-endian header length + header text (+ optional space padding) + data. */
export function rawFile(header: string | object, data: Uint8Array = new Uint8Array(0), options: { pad?: boolean; length?: bigint } = {}): Uint8Array {
  let text = typeof header === 'string' ? header : JSON.stringify(header);
  if (options.pad) text += ' '.repeat((8 - ((8 + utf8(text).length) % 8)) % 8);
  const json = utf8(text);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, options.length ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** Little-endian float32 bytes, written one by one through a DataView. */
export function f32le(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return out;
}

export function u16le(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setUint16(i * 2, v, true));
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
