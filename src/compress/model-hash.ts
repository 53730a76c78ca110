// The model hash an .aec file records: SHA-256 over what turns codes into data, so a file
// decodes only under the model it was made with, while re-saving the model (another
// training record, other label names, another tensor order in the file) keeps the hash.
// Hashed, as UTF-8 text and raw bytes, in this order:
//
//   "ae-wasm model hash 1\n"
//   canonical JSON of the architecture "\n"        (object keys sorted, no spaces)
//   canonical JSON of {kind, scale, sampleShape} of the preprocessing, or null "\n"
//   per parameter, by name (code-unit order): name "\n" JSON shape "\n" float32 LE values
//   per preprocessing statistic present, in the order min, max, mean, std:
//     "preprocessing." name "\n" float32 LE values
//
// The encoder's weights are in it too: codes made by another encoder mean other things.

import type { Autoencoder } from '../models/autoencoder.js';
import { Sha256 } from './digest.js';

/** JSON with object keys sorted at every level: one text per value, whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function float32Le(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
  return out;
}

/** The SHA-256 of `model` as defined above (32 bytes). */
export function modelHash(model: Autoencoder): Uint8Array {
  const text = new TextEncoder();
  const h = new Sha256();
  h.update(text.encode('ae-wasm model hash 1\n'));
  h.update(text.encode(`${canonicalJson(model.architecture)}\n`));
  const pre = model.preprocessing;
  h.update(text.encode(`${canonicalJson(pre ? { kind: pre.kind, scale: pre.scale ?? null, sampleShape: pre.sampleShape } : null)}\n`));
  const params = [...model.params.list].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const p of params) {
    h.update(text.encode(`${p.name}\n${JSON.stringify(p.shape)}\n`));
    h.update(float32Le(model.params.read(p)));
  }
  for (const name of ['min', 'max', 'mean', 'std'] as const) {
    const stat = pre?.[name];
    if (!stat) continue;
    h.update(text.encode(`preprocessing.${name}\n`));
    h.update(float32Le(stat));
  }
  return h.digest();
}
