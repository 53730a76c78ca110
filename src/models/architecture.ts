// The architecture record stored in every model file (DESIGN.md "Model files"):
// {"kind", "input_shape", "parts": {"encoder": [LAYER...], "decoder": [...], ...}, "graph"?}.
// Without `graph` the parts are today's fixed ones (encoder, decoder, a VAE's z_mean and
// z_log_var) in their default wiring; with it, any named parts wired as it says
// (graph-record.ts).

import { ArgumentError, FormatError } from '../errors.js';
import type { LayerSpec } from '../nn/layer.js';
import { checkPartName, defaultGraph, validateGraphRecord, type DefaultLosses, type GraphRecord } from './graph-record.js';

export type ModelKind = 'autoencoder' | 'vae';

export interface Architecture {
  kind: ModelKind;
  input_shape: number[];
  parts: {
    /** Every record without a graph has them (and every preset; a graph's record may cast when it names its parts otherwise). */
    encoder: LayerSpec[];
    decoder: LayerSpec[];
    /** VAE only: heads reading the encoder's output. */
    z_mean?: LayerSpec[];
    z_log_var?: LayerSpec[];
    /** Records with a graph name their parts freely. */
    [part: string]: LayerSpec[] | undefined;
  };
  /** How the parts are wired and which loss terms train them; absent: the default wiring. */
  graph?: GraphRecord;
}

/** Structural cap on a graph's parts before anything walks it (the limits' maxParts is the budget). */
const MAX_GRAPH_PARTS = 1024;

export const PART_NAMES = ['encoder', 'z_mean', 'z_log_var', 'decoder'] as const;
/** A part's name: one of PART_NAMES in the default wiring, any checked name in a graph. */
export type PartName = string;

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
  const graph = a['graph'];
  const names = graph === undefined ? (a['kind'] === 'vae' ? ['encoder', 'z_mean', 'z_log_var', 'decoder'] : ['encoder', 'decoder']) : Object.keys(p);
  if (graph === undefined) {
    for (const name of Object.keys(p)) {
      if (!names.includes(name)) fail(`has unexpected part ${JSON.stringify(name)} for kind ${a['kind']}`);
    }
  } else {
    if (names.length === 0 || names.length > MAX_GRAPH_PARTS) fail(`parts must name 1..${MAX_GRAPH_PARTS} parts, got ${names.length}`);
    for (const name of names) checkPartName(name, `${where}: architecture`);
  }
  for (const name of names) {
    const layers = p[name];
    if (!Array.isArray(layers) || layers.length === 0) fail(`part ${name} must be a non-empty list of layers`);
    (layers as unknown[]).forEach((l, i) => {
      if (typeof l !== 'object' || l === null || typeof (l as LayerSpec).class_name !== 'string') {
        fail(`part ${name} layer ${i} must be {"class_name": ..., "config": {...}}`);
      }
    });
  }
  if (graph !== undefined) validateGraphRecord(graph, names, a['kind'] as string, where);
  return value as Architecture;
}

/** The parts in record order (the default wiring's own order without a graph). */
export function partNames(arch: Architecture): string[] {
  if (arch.graph) return Object.keys(arch.parts);
  return arch.kind === 'vae' ? ['encoder', 'z_mean', 'z_log_var', 'decoder'] : ['encoder', 'decoder'];
}

/** The record's graph, or the default wiring with the loss terms the trainer's settings give. */
export function architectureGraph(arch: Architecture, losses: DefaultLosses = { loss: 'mse' }): GraphRecord {
  return arch.graph ?? defaultGraph(arch.kind, losses);
}

/** VAE heads of the default wiring are one Dense layer each (z_mean and z_log_var both read the encoder output). */
export function checkVaeHeads(arch: Architecture): void {
  if (arch.kind !== 'vae' || arch.graph) return;
  for (const head of ['z_mean', 'z_log_var'] as const) {
    const layers = arch.parts[head]!;
    if (layers.length !== 1 || layers[0]!.class_name !== 'Dense') {
      throw new ArgumentError(`VAE part ${head} must be a single Dense layer`);
    }
  }
}
