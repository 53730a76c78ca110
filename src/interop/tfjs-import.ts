// TF.js Layers model.json (format "layers-model") -> the Keras model config and its weights.
// Three writers, told apart by the topology:
//   TF.js model.save                 modelTopology is the model config {class_name, config, keras_version: "tfjs-layers ..."}
//   tensorflowjs_converter, Keras 2  modelTopology {keras_version: "2.x", backend, model_config, training_config?}
//   tensorflowjs_converter, Keras 3  the same with keras_version "3.x", model_config a .keras config.json and
//                                    weights named by the Keras 3 state paths ("layers/dense/vars/0")
// weightsManifest: groups of {paths, weights}; a group's shards, concatenated in path order,
// hold its weights in order, each float32, or quantised (tfjs-core io_utils: uint8 / uint16
// value * scale + min, or float16). Everything is checked before a shard is read: shard
// names are plain file names (no directory, no ".."), each group's bytes are the sum of its
// weights' and the shards must hold exactly that many. Browser-safe: shards come through `readShard`.

import { FormatError, UnsupportedError } from '../errors.js';
import { isObject, parseUntrustedJsonBytes, type JsonObject } from './keras-json.js';
import type { WeightEntry } from './keras-weights.js';

export type Dialect = 'tfjs' | 'keras2' | 'keras3';

export interface KerasArtifacts {
  dialect: Dialect;
  /** The model config {class_name, config}. */
  model: unknown;
  kerasVersion?: string;
  /** Keras' training config (the converter copies it; a .keras file's compile_config): its loss names our reconstruction loss. */
  trainingConfig?: unknown;
  weights: Map<string, WeightEntry>;
  /** The layer an ae-wasm export says outputs the code (userDefinedMetadata TFJS_CODE_METADATA). */
  codeLayer?: string;
}

/** userDefinedMetadata key of an ae-wasm TF.js export: the name of the layer whose output is the code. */
export const TFJS_CODE_METADATA = 'ae-wasm.code';
const MAX_LAYER_NAME = 256;

export const MAX_MANIFEST_WEIGHTS = 1 << 16;
const MAX_GROUPS = 1024;
const MAX_SHARDS = 1 << 14;
/** Our models hold at most 2^26 parameters (src/models/limits.ts); float32 with room. */
export const MAX_WEIGHT_BYTES = 2 ** 30;
const SHARD_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$/;

const BYTES: Readonly<Record<string, number>> = { uint8: 1, uint16: 2, float16: 2 };

interface ManifestWeight {
  name: string;
  shape: number[];
  quantization?: { dtype: 'uint8' | 'uint16' | 'float16'; scale: number; min: number };
  bytes: number;
  /** Optimizer state: in the shard, not a layer's. */
  skip?: boolean;
}

const fail = (msg: string): never => {
  throw new FormatError(msg);
};

/** Reads a shard by its manifest name, at most `maxBytes` long (a longer file is an error). */
export type ShardReader = (path: string, maxBytes: number) => Promise<Uint8Array>;

/** model.json bytes and its shards -> the Keras model config and named weights. */
export async function readTfjsModel(bytes: Uint8Array, source: string, readShard: ShardReader): Promise<KerasArtifacts> {
  const json = parseUntrustedJsonBytes(bytes, source);
  if (!isObject(json)) return fail(`${source}: model.json must be a JSON object`);
  if (json['format'] !== undefined && json['format'] !== 'layers-model') {
    throw new UnsupportedError(`${source}: format ${JSON.stringify(json['format'])}; only TF.js Layers models ("layers-model") have layers to import (a graph model converted from a SavedModel has none: convert the Keras .h5 / .keras file instead)`);
  }
  const topology = json['modelTopology'];
  if (!isObject(topology)) return fail(`${source}: modelTopology must be an object`);
  const { dialect, model, kerasVersion, trainingConfig: inTopology } = topologyDialect(topology, source);
  // TF.js model.save of a compiled model writes its training config beside the topology.
  const trainingConfig = inTopology ?? json['trainingConfig'];
  const groups = manifest(json['weightsManifest'], source);
  const weights = new Map<string, WeightEntry>();
  for (const [g, group] of groups.entries()) {
    const total = group.weights.reduce((n, w) => n + w.bytes, 0);
    const parts: Uint8Array[] = [];
    let have = 0;
    for (const path of group.paths) {
      const shard = await readShard(path, total - have);
      have += shard.length;
      if (have > total) fail(`${source}: weightsManifest[${g}] shard ${JSON.stringify(path)} runs past the group's ${total} bytes of weights`);
      parts.push(shard);
    }
    if (have !== total) fail(`${source}: weightsManifest[${g}]: the shards hold ${have} bytes, the manifest's weights ${total}`);
    const data = concat(parts, total);
    let at = 0;
    for (const w of group.weights) {
      const start = at;
      at += w.bytes;
      if (w.skip) continue;
      if (weights.has(w.name)) fail(`${source}: weight ${JSON.stringify(w.name)} appears twice in the manifest`);
      weights.set(w.name, { name: w.name, shape: w.shape, read: () => dequantize(data.subarray(start, start + w.bytes), w) });
    }
  }
  const codeLayer = metadataCodeLayer(json['userDefinedMetadata'], source);
  return { dialect, model, kerasVersion, trainingConfig, weights, ...(codeLayer !== undefined ? { codeLayer } : {}) };
}

/** TFJS_CODE_METADATA of a userDefinedMetadata object, when there: a layer name (a non-empty string of at most 256 characters). */
function metadataCodeLayer(meta: unknown, source: string): string | undefined {
  if (meta === undefined || !isObject(meta) || !Object.hasOwn(meta, TFJS_CODE_METADATA)) return undefined;
  const name = meta[TFJS_CODE_METADATA];
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_LAYER_NAME) {
    return fail(`${source}: userDefinedMetadata["${TFJS_CODE_METADATA}"] must be a layer name (1 to ${MAX_LAYER_NAME} characters), got ${typeof name === 'string' ? `${name.length} characters` : typeof name}`);
  }
  return name;
}

function topologyDialect(topology: JsonObject, source: string): Omit<KerasArtifacts, 'weights'> {
  const version = topology['keras_version'];
  const kerasVersion = typeof version === 'string' ? version : undefined;
  if (topology['model_config'] !== undefined) {
    const model = topology['model_config'];
    const v3 = kerasVersion?.startsWith('3') || JSON.stringify(model).includes('"batch_shape"');
    return { dialect: v3 ? 'keras3' : 'keras2', model, kerasVersion, trainingConfig: topology['training_config'] ?? (isObject(model) ? model['compile_config'] : undefined) };
  }
  if (typeof topology['class_name'] !== 'string') fail(`${source}: modelTopology has neither model_config (tensorflowjs_converter) nor class_name (TF.js model.save)`);
  return { dialect: 'tfjs', model: topology, kerasVersion, trainingConfig: topology['training_config'] };
}

function manifest(value: unknown, source: string): { paths: string[]; weights: ManifestWeight[] }[] {
  if (!Array.isArray(value) || value.length > MAX_GROUPS) return fail(`${source}: weightsManifest must be a list of at most ${MAX_GROUPS} groups`);
  let count = 0;
  let shards = 0;
  let bytes = 0;
  return value.map((group, g) => {
    const at = `${source}: weightsManifest[${g}]`;
    if (!isObject(group) || !Array.isArray(group['paths']) || !Array.isArray(group['weights'])) return fail(`${at} must be {"paths": [...], "weights": [...]}`);
    const paths = group['paths'] as unknown[];
    shards += paths.length;
    if (shards > MAX_SHARDS) fail(`${at}: more than ${MAX_SHARDS} shards`);
    for (const p of paths) {
      if (typeof p !== 'string' || !SHARD_NAME.test(p) || p.includes('..')) {
        fail(`${at}: shard path ${JSON.stringify(p)?.slice(0, 80)} must be a plain file name beside model.json (letters, digits, _ . -; no directory, no "..")`);
      }
    }
    const weights = (group['weights'] as unknown[]).map((w, i) => {
      const wat = `${at}.weights[${i}]`;
      if (++count > MAX_MANIFEST_WEIGHTS) fail(`${source}: more than ${MAX_MANIFEST_WEIGHTS} weights`);
      if (!isObject(w)) return fail(`${wat} must be an object`);
      const name = w['name'];
      if (typeof name !== 'string' || name.length === 0 || name.length > 1024) return fail(`${wat}.name must be a non-empty string`);
      const shape = w['shape'];
      if (!Array.isArray(shape) || shape.length > 8 || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) return fail(`${wat} (${name}): shape must be a list of at most 8 non-negative integers`);
      // model.save(..., {includeOptimizer: true}) appends the optimizer's state, marked group "optimizer": skipped, but its bytes counted.
      const optimizer = w['group'] === 'optimizer';
      if (optimizer && (w['dtype'] === 'float32' || w['dtype'] === 'int32') && w['quantization'] === undefined) {
        const size = (shape as number[]).reduce((a, b) => a * b, 1) * 4;
        bytes += size;
        if (bytes > MAX_WEIGHT_BYTES) fail(`${source}: the manifest's weights exceed ${MAX_WEIGHT_BYTES} bytes`);
        return { name, shape: shape as number[], bytes: size, skip: true };
      }
      if (w['dtype'] !== 'float32') throw new UnsupportedError(`${wat} (${name}): dtype ${JSON.stringify(w['dtype'])}; only float32 weights (and their uint8 / uint16 / float16 quantisations) are supported`);
      const n = (shape as number[]).reduce((a, b) => a * b, 1);
      const q = quantization(w['quantization'], wat, name);
      const size = n * (q ? BYTES[q.dtype]! : 4);
      bytes += size;
      if (bytes > MAX_WEIGHT_BYTES) fail(`${source}: the manifest's weights exceed ${MAX_WEIGHT_BYTES} bytes`);
      const out: ManifestWeight = { name, shape: shape as number[], bytes: size };
      if (q) out.quantization = q;
      return out;
    });
    return { paths: paths as string[], weights };
  });
}

function quantization(v: unknown, at: string, name: string): ManifestWeight['quantization'] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v) || typeof v['dtype'] !== 'string' || !Object.hasOwn(BYTES, v['dtype'])) {
    throw new UnsupportedError(`${at} (${name}): quantization ${JSON.stringify(v)?.slice(0, 80)}; supported: uint8, uint16 (with scale and min), float16`);
  }
  const dtype = v['dtype'] as 'uint8' | 'uint16' | 'float16';
  if (dtype === 'float16') return { dtype, scale: 1, min: 0 };
  const [scale, min] = [v['scale'], v['min']];
  if (typeof scale !== 'number' || typeof min !== 'number' || !Number.isFinite(scale) || !Number.isFinite(min)) fail(`${at} (${name}): ${dtype} quantization needs finite scale and min`);
  return { dtype, scale: scale as number, min: min as number };
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Little-endian weight bytes -> float32 values, as tfjs-core's decodeWeights does. */
export function dequantize(bytes: Uint8Array, w: Pick<ManifestWeight, 'quantization'>): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const q = w.quantization;
  if (!q) {
    const out = new Float32Array(bytes.length / 4);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(4 * i, true);
    return out;
  }
  const n = bytes.length / BYTES[q.dtype]!;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    if (q.dtype === 'uint8') out[i] = bytes[i]! * q.scale + q.min;
    else if (q.dtype === 'uint16') out[i] = view.getUint16(2 * i, true) * q.scale + q.min;
    else out[i] = halfToFloat(view.getUint16(2 * i, true));
  }
  return out;
}

/** IEEE 754 binary16 -> number (subnormals, infinities and NaN included). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}
