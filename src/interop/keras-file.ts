// Keras 3 `.keras` files: a zip of config.json (the model config), metadata.json
// (keras_version) and model.weights.h5, whose layout is Keras 3's saving_lib H5IOStore
// (keras-team/keras keras/src/saving/saving_lib.py: `H5Entry` creates `<path>/vars`, one
// dataset per variable named by its index; the paths are keras-topology.ts' statePath,
// e.g. layers/dense/vars/0, layers/sequential/layers/dense_1/vars/1). Zip with fflate:
// only the three entries are inflated, each after its declared size is checked against a
// cap, into a buffer of exactly that size (fflate stops there), so a zip bomb costs at most
// the caps. HDF5 with jsfive (pure JS); a dataset's shape is read from its header and
// checked against our parameter before its values are.

import { unzipSync, type UnzipFileInfo } from 'fflate';
import type * as Hdf5 from 'jsfive';
import { FormatError, UnsupportedError } from '../errors.js';
import { isObject, MAX_TOPOLOGY_JSON_BYTES, parseUntrustedJsonBytes } from './keras-json.js';
import type { WeightEntry } from './keras-weights.js';
import { MAX_WEIGHT_BYTES, type KerasArtifacts } from './tfjs-import.js';
import { subclassedMessage } from './keras-topology.js';

const ENTRY_CAPS: Readonly<Record<string, number>> = {
  'config.json': MAX_TOPOLOGY_JSON_BYTES,
  'metadata.json': 1 << 20,
  'model.weights.h5': MAX_WEIGHT_BYTES,
};
/** Groups and datasets visited in the HDF5 file (a real model has a few per layer). */
const MAX_H5_OBJECTS = 1 << 16;
const MAX_H5_DEPTH = 32;

/** A .keras file's bytes -> the model config and weights named by their HDF5 paths. */
export async function readKerasFile(bytes: Uint8Array, source: string): Promise<KerasArtifacts> {
  let entries: Record<string, Uint8Array>;
  const filter = (f: UnzipFileInfo): boolean => {
    if (!Object.hasOwn(ENTRY_CAPS, f.name)) return false;
    if (f.originalSize > ENTRY_CAPS[f.name]!) throw new FormatError(`${source}: zip entry ${f.name} declares ${f.originalSize} bytes, over the ${ENTRY_CAPS[f.name]}-byte limit`);
    if (f.compression !== 0 && f.compression !== 8) throw new UnsupportedError(`${source}: zip entry ${f.name} uses compression method ${f.compression}; only stored (0) and deflate (8) are supported`);
    return true;
  };
  try {
    entries = unzipSync(bytes, { filter });
  } catch (err) {
    if (err instanceof FormatError || err instanceof UnsupportedError) throw err;
    throw new FormatError(`${source}: not a readable zip file (a .keras file is one): ${(err as Error).message ?? String(err)}`);
  }
  for (const name of ['config.json', 'model.weights.h5']) {
    if (!entries[name]) throw new FormatError(`${source}: the zip has no ${name}; a Keras 3 .keras file holds config.json, metadata.json and model.weights.h5`);
  }
  const config = parseUntrustedJsonBytes(entries['config.json']!, `${source}: config.json`);
  if (!isObject(config)) throw new FormatError(`${source}: config.json must be a JSON object`);
  const inner = config['config'];
  if (!isObject(inner) || !Array.isArray(inner['layers'])) throw new UnsupportedError(subclassedMessage(`${source}: config.json`, String(config['class_name'])));
  let kerasVersion: string | undefined;
  if (entries['metadata.json']) {
    const meta = parseUntrustedJsonBytes(entries['metadata.json'], `${source}: metadata.json`);
    if (isObject(meta) && typeof meta['keras_version'] === 'string') kerasVersion = meta['keras_version'];
  }
  return { dialect: 'keras3', model: config, kerasVersion, trainingConfig: config['compile_config'], weights: h5Weights(await import('jsfive'), entries['model.weights.h5']!, `${source}: model.weights.h5`) };
}

/**
 * Every dataset of the HDF5 file by its path ("layers/dense/vars/0"), values read on demand.
 * jsfive comes in by a dynamic import: only a .keras import pays for loading it.
 */
export function h5Weights(hdf5: typeof Hdf5, bytes: Uint8Array, source: string): Map<string, WeightEntry> {
  const guard = <T>(what: string, f: () => T): T => {
    try {
      return f();
    } catch (err) {
      if (err instanceof FormatError || err instanceof UnsupportedError) throw err;
      // jsfive throws strings as well as errors.
      throw new FormatError(`${source}: ${what}: ${err instanceof Error ? err.message : String(err)}`.slice(0, 400));
    }
  };
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const file = guard('not a readable HDF5 file', () => new hdf5.File(buffer, 'model.weights.h5'));
  const out = new Map<string, WeightEntry>();
  let visited = 0;
  const visit = (group: Hdf5.Group, path: string, depth: number): void => {
    if (depth > MAX_H5_DEPTH) throw new FormatError(`${source}: groups nest deeper than ${MAX_H5_DEPTH} at ${path}`);
    for (const key of guard(`listing ${path || '/'}`, () => group.keys)) {
      if (++visited > MAX_H5_OBJECTS) throw new FormatError(`${source}: more than ${MAX_H5_OBJECTS} groups and datasets`);
      const name = path ? `${path}/${key}` : key;
      const obj = guard(`reading ${name}`, () => group.get(key));
      if (obj instanceof hdf5.Dataset) {
        const shape = guard(`reading ${name}`, () => [...obj.shape]);
        out.set(name, { name, shape, read: () => guard(`reading ${name}`, () => datasetValues(obj, name, shape, source)) });
      } else if (obj instanceof hdf5.Group) visit(obj, name, depth + 1);
    }
  };
  visit(file, '', 0);
  return out;
}

function datasetValues(d: Hdf5.Dataset, name: string, shape: number[], source: string): Float32Array {
  const dtype = d.dtype;
  const attrs = d.attrs;
  if (isObject(attrs) && attrs['dtype'] === 'bfloat16') throw new UnsupportedError(`${source}: ${name} is bfloat16; save the model in float32`);
  if (dtype !== '<f4' && dtype !== '>f4' && dtype !== '<f8' && dtype !== '>f8') {
    throw new UnsupportedError(`${source}: ${name} has dtype ${JSON.stringify(dtype)}; only float32 (and float64) weights are supported`);
  }
  const values = d.value;
  const n = shape.reduce((a, b) => a * b, 1);
  if (!values || values.length !== n) throw new FormatError(`${source}: ${name} holds ${values?.length ?? 0} values, its shape ${JSON.stringify(shape)} needs ${n}`);
  return Float32Array.from(values);
}
