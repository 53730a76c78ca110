// Untrusted JSON of other tools (model.json, a .keras file's config.json): parsed as a
// model file's metadata is — size cap, nesting depth (json-depth.ts), no key twice in one
// object (JSON.parse would keep the last silently) — and then no key that names an
// Object.prototype member, so nothing downstream can reach a prototype through a lookup or
// a spread of what the file said. Browser-safe.

import { FormatError } from '../errors.js';
import { describeDepthExcess, jsonDepthExcess } from '../io/json-depth.js';
import { duplicateJsonKey } from '../models/json-duplicates.js';

/** Far above any real Keras / TF.js topology (the converter's are kilobytes to a few MB). */
export const MAX_TOPOLOGY_JSON_BYTES = 64 << 20;
/** Keras 3 configs nest deeper than our own files (layer > config > dtype > config, inbound_nodes > args > tensor > config). */
export const MAX_TOPOLOGY_DEPTH = 96;

const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses `text` (already decoded) from `source`; FormatError naming the source and what is wrong. */
export function parseUntrustedJson(text: string, source: string): unknown {
  if (text.length > MAX_TOPOLOGY_JSON_BYTES) throw new FormatError(`${source}: ${text.length} characters of JSON, over the ${MAX_TOPOLOGY_JSON_BYTES} limit`);
  const deep = jsonDepthExcess(text, MAX_TOPOLOGY_DEPTH);
  if (deep) throw new FormatError(`${source}: the JSON ${describeDepthExcess(deep, MAX_TOPOLOGY_DEPTH)}`);
  const twice = duplicateJsonKey(text);
  if (twice !== undefined) throw new FormatError(`${source}: the JSON names ${JSON.stringify(twice.slice(0, 64))} twice in one object`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new FormatError(`${source}: not valid JSON: ${(err as Error).message}`);
  }
  const bad = prototypeKey(value, '$');
  if (bad) throw new FormatError(`${source}: the JSON has the key ${JSON.stringify(bad.key)} at ${bad.at}; such keys are refused`);
  return value;
}

/** UTF-8 bytes to text (fatal on invalid bytes) and then parseUntrustedJson. */
export function parseUntrustedJsonBytes(bytes: Uint8Array, source: string): unknown {
  if (bytes.length > MAX_TOPOLOGY_JSON_BYTES) throw new FormatError(`${source}: ${bytes.length} bytes of JSON, over the ${MAX_TOPOLOGY_JSON_BYTES}-byte limit`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new FormatError(`${source}: not UTF-8 text`);
  }
  return parseUntrustedJson(text, source);
}

/** The first key naming an Object.prototype member, with its JSON path (depth is bounded by the scan above). */
function prototypeKey(v: unknown, at: string): { key: string; at: string } | undefined {
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const found = prototypeKey(v[i], `${at}[${i}]`);
      if (found) return found;
    }
  } else if (isObject(v)) {
    for (const key of Object.keys(v)) {
      if (PROTOTYPE_KEYS.has(key)) return { key, at };
      const found = prototypeKey(v[key], `${at}.${key}`);
      if (found) return found;
    }
  }
  return undefined;
}
