// Keras 2 / Keras 3 files built in the test from their documented formats (no Python
// TensorFlow here): Keras 3 configs as `model.to_json()` / a .keras file's config.json
// write them (module, registered_name, DTypePolicy dtypes, batch_shape, inbound_nodes of
// __keras_tensor__ records), Keras 2 configs as tensorflowjs_converter copies them
// (batch_input_shape, inbound_nodes [[["name", 0, 0, {}]]]), and model.weights.h5 written by
// h5wasm (the HDF5 C library, as h5py is) in Keras 3's saving_lib layout.
import h5wasm, { type Group } from 'h5wasm/node';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { strToU8, zipSync } from 'fflate';

export type Json = Record<string, unknown>;
const DTYPE_POLICY = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
const INIT = (cls: string) => ({ module: 'keras.initializers', class_name: cls, config: cls === 'GlorotUniform' ? { seed: null } : {}, registered_name: null });

/** Keras' defaults a Dense / Conv config carries (initializers, regularizers, constraints). */
export function kerasDefaults(cls: string, v3: boolean): Json {
  const init = (c: string) => (v3 ? INIT(c) : { class_name: c, config: c === 'GlorotUniform' ? { seed: null } : {} });
  if (cls === 'Dense' || cls === 'Conv2D' || cls === 'Conv2DTranspose') {
    return { kernel_initializer: init('GlorotUniform'), bias_initializer: init('Zeros'), kernel_regularizer: null, bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, bias_constraint: null, ...(cls === 'Dense' ? {} : { data_format: 'channels_last', dilation_rate: [1, 1], groups: 1 }) };
  }
  if (cls === 'BatchNormalization') return { axis: -1, momentum: 0.99, beta_initializer: init('Zeros'), gamma_initializer: init('Ones'), moving_mean_initializer: init('Zeros'), moving_variance_initializer: init('Ones'), beta_regularizer: null, gamma_regularizer: null, beta_constraint: null, gamma_constraint: null };
  return {};
}

export interface LayerDef {
  cls: string;
  name: string;
  config?: Json;
  /** Functional models: the layers it reads (default: the previous one). */
  inputs?: string[];
  registered?: string;
}

const tensor = (name: string) => ({ class_name: '__keras_tensor__', config: { shape: [null], dtype: 'float32', keras_history: [name, 0, 0] } });

/** One layer entry in the Keras 3 (v3) or Keras 2 dialect; `inbound` for functional models. */
export function layerJson(l: LayerDef, v3: boolean, inbound?: string[]): Json {
  const config: Json = { name: l.name, trainable: true, dtype: v3 ? DTYPE_POLICY : 'float32', ...kerasDefaults(l.cls, v3), ...l.config };
  const out: Json = v3 ? { module: 'keras.layers', class_name: l.cls, config, registered_name: l.registered ?? null } : { class_name: l.cls, config };
  if (inbound) {
    out['name'] = l.name;
    out['inbound_nodes'] = inbound.length === 0 ? [] : v3 ? [{ args: inbound.length === 1 ? [tensor(inbound[0]!)] : [inbound.map(tensor)], kwargs: {} }] : [inbound.map((n) => [n, 0, 0, {}])];
  }
  return out;
}

export function inputJson(name: string, shape: number[], v3: boolean, functional: boolean): Json {
  const config = v3 ? { batch_shape: [null, ...shape], dtype: 'float32', sparse: false, name } : { batch_input_shape: [null, ...shape], dtype: 'float32', sparse: false, ragged: false, name };
  const out: Json = v3 ? { module: 'keras.layers', class_name: 'InputLayer', config, registered_name: null } : { class_name: 'InputLayer', config };
  if (functional) Object.assign(out, { name, inbound_nodes: [] });
  return out;
}

export function sequentialJson(name: string, shape: number[] | null, layers: (LayerDef | Json)[], v3: boolean): Json {
  const list = layers.map((l) => ('cls' in l ? layerJson(l as LayerDef, v3) : l));
  if (shape) list.unshift(inputJson(`${name}_input`, shape, v3, false));
  return v3 ? { module: 'keras', class_name: 'Sequential', config: { name, trainable: true, dtype: DTYPE_POLICY, layers: list }, registered_name: null } : { class_name: 'Sequential', config: { name, layers: list } };
}

export function functionalJson(name: string, shape: number[], layers: LayerDef[], outputs: string[], v3: boolean): Json {
  const list: Json[] = [inputJson('input_layer', shape, v3, true)];
  let prev = 'input_layer';
  for (const l of layers) {
    list.push(layerJson(l, v3, l.inputs ?? [prev]));
    prev = l.name;
  }
  const config = { name, trainable: true, layers: list, input_layers: v3 ? ['input_layer', 0, 0] : [['input_layer', 0, 0]], output_layers: outputs.map((o) => [o, 0, 0]) };
  return v3 ? { module: 'keras', class_name: 'Functional', config, registered_name: 'Functional' } : { class_name: 'Functional', config };
}

export interface H5Dataset {
  data: Float32Array | Uint32Array;
  shape: number[];
}

/** model.weights.h5 bytes with `datasets` at their paths (groups created as needed), plus the root's empty `vars`. */
export async function writeH5(datasets: Record<string, H5Dataset>): Promise<Uint8Array> {
  await h5wasm.ready;
  const dir = mkdtempSync(path.join(tmpdir(), 'ae-h5-'));
  const file = path.join(dir, 'model.weights.h5');
  try {
    const f = new h5wasm.File(file, 'w');
    const groups = new Set<string>();
    const ensure = (g: string) => {
      const parts = g.split('/');
      for (let i = 1; i <= parts.length; i++) {
        const p = parts.slice(0, i).join('/');
        if (!groups.has(p)) {
          f.create_group(p);
          groups.add(p);
        }
      }
    };
    ensure('vars');
    for (const [p, d] of Object.entries(datasets)) {
      const slash = p.lastIndexOf('/');
      ensure(p.slice(0, slash));
      (f.get(p.slice(0, slash)) as Group).create_dataset({ name: p.slice(slash + 1), data: d.data, shape: d.shape, dtype: d.data instanceof Float32Array ? '<f' : '<I' });
    }
    f.close();
    return new Uint8Array(readFileSync(file));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A .keras zip of config.json, metadata.json and model.weights.h5 (`level` 0 stores the HDF5 file as it is, as Keras does). */
export function kerasZip(config: Json, h5: Uint8Array, version = '3.6.0', level: 0 | 6 = 6): Uint8Array {
  return zipSync({
    'metadata.json': strToU8(JSON.stringify({ keras_version: version, date_saved: '2026-12-07@10:00:00' })),
    'config.json': strToU8(JSON.stringify({ ...config, compile_config: { optimizer: 'adam', loss: 'binary_crossentropy' } })),
    'model.weights.h5': [h5, { level }],
  });
}
