// Mutations of .aec containers (src/compress/aec.ts) beyond the byte level: a header field
// set to a hostile value, and a payload replaced by another deflate stream (short, long, a
// bomb), each optionally with the CRC made to match, so the checks behind the checksum are
// reached too.
import fc from 'fast-check';
import { deflateSync } from 'fflate';
import { crc32 } from '../../src/compress/digest.js';

export const AEC_FIELDS = ['version', 'bits', 'flags', 'n', 'k', 'lo', 'hi', 'payload length'] as const;
export type AecField = (typeof AEC_FIELDS)[number];

export type AecMutation =
  | { kind: 'aec-field'; field: AecField; value: number; fixCrc: boolean }
  | { kind: 'aec-payload'; size: 'claimed' | 'one less' | 'one more' | 'empty' | 'bomb'; fixCrc: boolean };

const FIELD_VALUES = [0, 1, 2, 3, 4, 5, 8, 15, 16, 17, 255, 256, 65535, 2 ** 20, 2 ** 24, 2 ** 24 + 1, 2 ** 28, 2 ** 31, 2 ** 32 - 1, 0x7fc00000, 0x7f800000, 0xff800000, 0x80000000];

export function aecMutationArbitrary(): fc.Arbitrary<AecMutation> {
  return fc.oneof(
    fc.record({ kind: fc.constant('aec-field' as const), field: fc.constantFrom(...AEC_FIELDS), value: fc.constantFrom(...FIELD_VALUES), fixCrc: fc.boolean() }),
    fc.record({ kind: fc.constant('aec-payload' as const), size: fc.constantFrom('claimed' as const, 'one less' as const, 'one more' as const, 'empty' as const, 'bomb' as const), fixCrc: fc.boolean() }),
  );
}

const FIELD_AT: Record<AecField, [at: (k: number) => number, width: 1 | 2 | 4]> = {
  version: [() => 8, 2],
  bits: [() => 10, 1],
  flags: [() => 11, 1],
  n: [() => 44, 4],
  k: [() => 48, 4],
  lo: [() => 52, 4],
  hi: [(k) => 52 + 4 * k, 4],
  'payload length': [(k) => 52 + 8 * k, 4],
};

function withCrc(out: Uint8Array, fix: boolean): Uint8Array {
  if (fix && out.length >= 4) new DataView(out.buffer, out.byteOffset).setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true);
  return out;
}

/** `bytes` with the mutation, or unchanged where an earlier one left too little to find the field. */
export function applyAecMutation(bytes: Uint8Array, m: AecMutation): Uint8Array {
  if (bytes.length < 56) return bytes;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const k = view.getUint32(48, true);
  if (m.kind === 'aec-field') {
    const [at, width] = FIELD_AT[m.field];
    const where = at(k);
    if (where + width > bytes.length) return bytes;
    const out = bytes.slice();
    const v = new DataView(out.buffer);
    if (width === 1) v.setUint8(where, m.value & 0xff);
    else if (width === 2) v.setUint16(where, m.value & 0xffff, true);
    else v.setUint32(where, m.value >>> 0, true);
    return withCrc(out, m.fixCrc);
  }
  const head = 52 + 8 * k;
  if (head + 8 > bytes.length) return bytes;
  const n = view.getUint32(44, true);
  const bits = bytes[10]!;
  const claimed = Math.ceil((n * k * bits) / 8) + (bytes[11]! & 1 ? n : 0);
  // A claim too large to build is left alone: the reader refuses it from the header anyway.
  if (claimed > 1 << 20) return bytes;
  // The bomb: 8 MiB of zeros, about 8 KB deflated, where the seeds claim under 100 bytes.
  const size = { claimed, 'one less': claimed - 1, 'one more': claimed + 1, empty: 0, bomb: 8 << 20 }[m.size];
  const raw = new Uint8Array(Math.max(0, size));
  if (m.size !== 'bomb') for (let i = 0; i < raw.length; i++) raw[i] = (i * 73) & 0xff;
  const payload = deflateSync(raw, { level: 6 });
  const out = new Uint8Array(head + 4 + payload.length + 4);
  out.set(bytes.subarray(0, head));
  new DataView(out.buffer).setUint32(head, payload.length, true);
  out.set(payload, head + 4);
  return withCrc(out, m.fixCrc);
}
