// The architecture record stored in every model file (DESIGN.md "Model files"):
// {"kind", "input_shape", "parts": {"encoder": [LAYER...], "decoder": [...], ...}}.

import { ArgumentError, FormatError } from '../errors.js';
import type { LayerSpec } from '../nn/layer.js';

export type ModelKind = 'autoencoder' | 'vae';

export interface Architecture {
  kind: ModelKind;
  input_shape: number[];
  parts: {
    encoder: LayerSpec[];
    decoder: LayerSpec[];
    /** VAE only: heads reading the encoder's output. */
    z_mean?: LayerSpec[];
    z_log_var?: LayerSpec[];
  };
}

export const PART_NAMES = ['encoder', 'z_mean', 'z_log_var', 'decoder'] as const;
export type PartName = (typeof PART_NAMES)[number];

/** Checks the record's structure (layer configs are checked when layers are built). */
export function validateArchitecture(value: unknown, where: string): Architecture {
  const fail = (msg: string): never => {
    throw new FormatError(`${where}: architecture ${msg}`);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('must be a JSON object');
  const a = value as Record<string, unknown>;
  if (a['kind'] !== 'autoencoder' && a['kind'] !== 'vae') fail(`kind must be "autoencoder" or "vae", got ${JSON.stringify(a['kind'])}`);
  const shape = a['input_shape'];
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d >= 1)) {
    fail(`input_shape must be a list of positive integers, got ${JSON.stringify(shape)}`);
  }
  const parts = a['parts'];
  if (typeof parts !== 'object' || parts === null || Array.isArray(parts)) return fail('parts must be an object');
  const p = parts as Record<string, unknown>;
  const required: string[] = a['kind'] === 'vae' ? ['encoder', 'z_mean', 'z_log_var', 'decoder'] : ['encoder', 'decoder'];
  for (const name of Object.keys(p)) {
    if (!required.includes(name)) fail(`has unexpected part ${JSON.stringify(name)} for kind ${a['kind']}`);
  }
  for (const name of required) {
    const layers = p[name];
    if (!Array.isArray(layers) || layers.length === 0) fail(`part ${name} must be a non-empty list of layers`);
    (layers as unknown[]).forEach((l, i) => {
      if (typeof l !== 'object' || l === null || typeof (l as LayerSpec).class_name !== 'string') {
        fail(`part ${name} layer ${i} must be {"class_name": ..., "config": {...}}`);
      }
    });
  }
  return value as Architecture;
}

/** VAE heads are one Dense layer each (z_mean and z_log_var both read the encoder output). */
export function checkVaeHeads(arch: Architecture): void {
  if (arch.kind !== 'vae') return;
  for (const head of ['z_mean', 'z_log_var'] as const) {
    const layers = arch.parts[head]!;
    if (layers.length !== 1 || layers[0]!.class_name !== 'Dense') {
      throw new ArgumentError(`VAE part ${head} must be a single Dense layer`);
    }
  }
}
