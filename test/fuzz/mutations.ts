// Inputs are plain Uint8Arrays: a Buffer's slice() is a view, and would mutate the seed.
// Mutations as fast-check arbitraries, so failures shrink and every run is reproducible
// from its seed: byte-level (bit flips, byte writes, truncation, splices, deletion) and
// JSON-level edits of the safetensors header and of the architecture and training
// records (type changes, huge, negative and fractional numbers, deep nesting, names
// from Object.prototype, deleted and renamed keys).
import fc from 'fast-check';
import { gzipSync, gunzipSync } from 'node:zlib';
import { concat } from '../io/safetensors-fixtures.js';
import { deepJson, editHeaderText } from '../models/model-fixtures.js';
import { aecMutationArbitrary, applyAecMutation, type AecMutation } from './aec-mutations.js';

/** Values that break validators that trust types, ranges or own properties. */
const HOSTILE_VALUES: readonly unknown[] = [
  null, true, false, '', '5', '0.1', 'relu', [], [null], {}, { name: 'adam' },
  0, -0, -1, -1000, 2.5, 0.5, 1e9, 1e21, 1e300, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, Number.MAX_VALUE,
  '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype',
];
const PROTO_KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];
/** Stands for a value too deep to build as an object; substituted as text after stringify. */
const DEEP = '@@deep-nesting@@';

export type JsonTarget = 'header' | 'architecture' | 'training' | 'preprocessing';

export type Mutation =
  | { kind: 'flip'; at: number; bit: number; inHeader: boolean }
  | { kind: 'write'; at: number; value: number; inHeader: boolean }
  | { kind: 'truncate'; at: number }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'splice'; at: number; from: number; length: number }
  | { kind: 'json'; target: JsonTarget; path: number[]; edit: JsonEdit }
  | { kind: 'inner'; at: number; value: number; extra: number }
  | AecMutation
  | { kind: 'many'; steps: Mutation[] };

export type JsonEdit =
  | { op: 'set'; value: unknown }
  | { op: 'deep'; depth: number }
  | { op: 'delete' }
  | { op: 'rename'; key: string };

const fraction = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
const byteLevel: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fraction, bit: fc.integer({ min: 0, max: 7 }), inHeader: fc.boolean() }),
  fc.record({ kind: fc.constant('write' as const), at: fraction, value: fc.integer({ min: 0, max: 255 }), inHeader: fc.boolean() }),
  fc.record({ kind: fc.constant('truncate' as const), at: fraction }),
  fc.record({ kind: fc.constant('delete' as const), at: fraction, length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant('splice' as const), at: fraction, from: fraction, length: fc.integer({ min: 1, max: 256 }) }),
).map((m) => m as Mutation);

const jsonEdit: fc.Arbitrary<JsonEdit> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...HOSTILE_VALUES).map((value) => ({ op: 'set' as const, value })) },
  { weight: 1, arbitrary: fc.constantFrom(65, 1000, 100_000).map((depth) => ({ op: 'deep' as const, depth })) },
  { weight: 1, arbitrary: fc.constant({ op: 'delete' as const }) },
  { weight: 1, arbitrary: fc.constantFrom(...PROTO_KEYS).map((key) => ({ op: 'rename' as const, key })) },
);

/** Mutations of a safetensors model file or checkpoint; `records` are the JSON texts edited. */
export function modelMutation(records: readonly JsonTarget[] = ['header', 'architecture', 'training']): fc.Arbitrary<Mutation> {
  const json = fc.record({
    kind: fc.constant('json' as const),
    target: fc.constantFrom<JsonTarget>(...records),
    path: fc.array(fc.nat(), { minLength: 1, maxLength: 8 }),
    edit: jsonEdit,
  });
  const one = fc.oneof({ weight: 2, arbitrary: byteLevel }, { weight: 3, arbitrary: json as fc.Arbitrary<Mutation> });
  return fc.oneof({ weight: 4, arbitrary: one }, { weight: 1, arbitrary: fc.array(one, { minLength: 2, maxLength: 4 }).map((steps) => ({ kind: 'many' as const, steps })) });
}

/** Byte-level mutations only (raw IDX files, PNG files). */
export function byteMutation(): fc.Arbitrary<Mutation> {
  return fc.oneof({ weight: 4, arbitrary: byteLevel }, { weight: 1, arbitrary: fc.array(byteLevel, { minLength: 2, maxLength: 4 }).map((steps) => ({ kind: 'many' as const, steps })) });
}

/** Mutations of an .aec container: byte-level, and its header fields and payload (aec-mutations.ts). */
export function aecMutation(): fc.Arbitrary<Mutation> {
  const one = fc.oneof({ weight: 1, arbitrary: byteLevel }, { weight: 2, arbitrary: aecMutationArbitrary() as fc.Arbitrary<Mutation> });
  return fc.oneof({ weight: 4, arbitrary: one }, { weight: 1, arbitrary: fc.array(one, { minLength: 2, maxLength: 4 }).map((steps) => ({ kind: 'many' as const, steps })) });
}

/** Mutations of a gzipped IDX file: of the compressed bytes, or of the content before compression (bombs included). */
export function gzipMutation(): fc.Arbitrary<Mutation> {
  const inner = fc.record({
    kind: fc.constant('inner' as const),
    at: fc.integer({ min: 0, max: 40 }),
    value: fc.integer({ min: 0, max: 255 }),
      // Zero bytes appended before compressing; 16 MB is a small gzip bomb (16 KB compressed).
    extra: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 3, arbitrary: fc.integer({ min: 1, max: 100 }) }, { weight: 1, arbitrary: fc.constant(16 << 20) }),
  });
  return fc.oneof({ weight: 1, arbitrary: byteLevel }, { weight: 1, arbitrary: inner as fc.Arbitrary<Mutation> });
}

// ---------------------------------------------------------------- applying

export function applyMutation(bytes: Uint8Array, m: Mutation, others: readonly Uint8Array[]): Uint8Array {
  switch (m.kind) {
    case 'many':
      return m.steps.reduce((b, step) => applyMutation(b, step, others), bytes);
    case 'flip':
    case 'write': {
      if (bytes.length === 0) return bytes;
      const at = position(bytes, m.at, m.inHeader);
      const out = bytes.slice();
      out[at] = m.kind === 'flip' ? out[at]! ^ (1 << m.bit) : m.value;
      return out;
    }
    case 'truncate':
      return bytes.slice(0, Math.floor(m.at * bytes.length));
    case 'delete': {
      const at = Math.floor(m.at * bytes.length);
      return concat(bytes.subarray(0, at), bytes.subarray(at + m.length));
    }
    case 'splice': {
      const other = others[Math.floor(m.from * others.length)] ?? bytes;
      const at = Math.floor(m.at * bytes.length);
      const from = Math.floor(m.from * Math.max(other.length - m.length, 0));
      return concat(bytes.subarray(0, at), other.subarray(from, from + m.length), bytes.subarray(at + m.length));
    }
    case 'inner': {
      const raw = gunzipSync(bytes);
      const out = new Uint8Array(raw.length + m.extra);
      out.set(raw);
      if (m.at < out.length) out[m.at] = m.value;
      return new Uint8Array(gzipSync(out));
    }
    case 'json':
      return mutateJson(bytes, m.target, m.path, m.edit);
    case 'aec-field':
    case 'aec-payload':
      return applyAecMutation(bytes, m);
  }
}

/** A byte position, biased into the 8-byte length and JSON header when `inHeader`. */
function position(bytes: Uint8Array, at: number, inHeader: boolean): number {
  if (!inHeader || bytes.length < 8) return Math.floor(at * bytes.length);
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return Math.floor(at * Math.min(8 + n, bytes.length));
}

/** `bytes` with one JSON edit, or unchanged when an earlier mutation left no JSON to edit. */
function mutateJson(bytes: Uint8Array, target: JsonTarget, path: number[], edit: JsonEdit): Uint8Array {
  try {
    return editJsonRecord(bytes, target, path, edit);
  } catch {
    return bytes;
  }
}

function editJsonRecord(bytes: Uint8Array, target: JsonTarget, path: number[], edit: JsonEdit): Uint8Array {
  return editHeaderText(bytes, (text) => {
    const header = JSON.parse(text) as Record<string, unknown>;
    if (target === 'header') return editJson(header, path, edit);
    const metadata = header['__metadata__'] as Record<string, string>;
    metadata[target] = editJson(JSON.parse(metadata[target]!), path, edit);
    return JSON.stringify(header);
  });
}

/** `root` as JSON text after one edit at the node `path` walks to (indices taken modulo each node's size). */
function editJson(root: unknown, path: number[], edit: JsonEdit): string {
  let parent: Record<string, unknown> | unknown[] | null = null;
  let key: string | number = '';
  let node = root;
  for (const step of path) {
    if (typeof node !== 'object' || node === null) break;
    const keys = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node);
    if (keys.length === 0) break;
    parent = node as Record<string, unknown>;
    key = keys[step % keys.length]!;
    node = (parent as Record<string | number, unknown>)[key];
  }
  if (parent === null) return JSON.stringify(edit.op === 'set' ? edit.value : root);
  const p = parent as Record<string | number, unknown>;
  if (edit.op === 'set') p[key] = edit.value;
  else if (edit.op === 'deep') p[key] = `${DEEP}${edit.depth}`;
  else if (edit.op === 'delete') {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete p[key];
  } else if (!Array.isArray(parent)) {
    // defineProperty: an assignment to "__proto__" would set the prototype, not a key.
    const value = p[key];
    delete p[key];
    Object.defineProperty(p, edit.key, { value, enumerable: true, configurable: true, writable: true });
  }
  return JSON.stringify(root).replace(new RegExp(`"${DEEP}(\\d+)"`, 'g'), (_, d: string) => deepJson(Number(d)));
}
