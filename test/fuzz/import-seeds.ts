// Seeds of the TF.js import fuzz target: TF.js Layers models (model.json and one weights
// shard, as ae-wasm's TF.js export writes them for tfjs-layers 4.22) packed in a
// safetensors container, model.json as the `architecture` metadata and the shard as a U8
// tensor, so the JSON edits of mutations.ts reach model.json and byte mutations (a
// truncation most of all) the shard.
import { exportTfjs } from '../../src/interop/export-tfjs.js';
import { readTfjsModel } from '../../src/interop/tfjs-import.js';
import { importKerasModel } from '../../src/interop/import-model.js';
import { readKerasFile } from '../../src/interop/keras-file.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import type { Kernels } from '../../src/kernels/kernels.js';
import { Autoencoder } from '../../src/models/autoencoder.js';
import { presetArchitecture } from '../../src/models/presets.js';
import { FormatError } from '../../src/errors.js';
import type { Seed } from './seeds.js';

export function tfjsImportSeeds(kernels: Kernels): Seed[] {
  return ['dense', 'deep-bn', 'conv'].map((preset) => {
    const model = new Autoencoder(kernels, presetArchitecture(preset, preset === 'conv' ? { inputShape: [8, 8, 1] } : { inputShape: [8, 8, 1], latent: 4 })).initialize(3);
    try {
      const { modelJson, weights } = exportTfjs(model);
      return { name: `TF.js ${preset}`, bytes: encodeSafetensors([{ name: 'shard', dtype: 'U8', shape: [weights.length], data: weights }], { architecture: JSON.stringify(modelJson) }) };
    } finally {
      model.dispose();
    }
  });
}

/** What `ae-wasm import model.json` does with the packed files (the model's file is never written). */
export async function importPacked(bytes: Uint8Array, kernels: Kernels): Promise<void> {
  const { tensors, metadata } = decodeSafetensors(bytes, 'fuzz.pack');
  const shard = tensors.get('shard');
  if (!shard || metadata['architecture'] === undefined) throw new FormatError('fuzz.pack: not a packed TF.js model');
  const json = new TextEncoder().encode(metadata['architecture']);
  const artifacts = await readTfjsModel(json, 'fuzz/model.json', async (_path, max) => {
    if (shard.data.length > max) throw new FormatError(`fuzz/model.json: shard over ${max} bytes`);
    return shard.data as Uint8Array;
  });
  importKerasModel(kernels, artifacts, 'fuzz/model.json', { limits: { maxParams: 1 << 20, maxActivationValues: 1 << 20 } }).model.dispose();
}

/** .keras seeds: a Sequential and a functional VAE, the HDF5 stored uncompressed so byte mutations reach its structure. */
export async function kerasFileSeeds(): Promise<Seed[]> {
  const { functionalJson, kerasZip, sequentialJson, writeH5 } = await import('../interop/keras-fixtures.js');
  const vals = (n: number, k: number) => Float32Array.from({ length: n }, (_, i) => (((i * k) % 13) - 6) / 20);
  const seq = sequentialJson('sequential', [6], [
    { cls: 'Dense', name: 'dense', config: { units: 3, activation: 'relu' } },
    { cls: 'BatchNormalization', name: 'batch_normalization', config: {} },
    { cls: 'Dense', name: 'dense_1', config: { units: 6, activation: 'sigmoid' } },
  ], true);
  const seqH5 = await writeH5({
    'layers/dense/vars/0': { data: vals(18, 3), shape: [6, 3] }, 'layers/dense/vars/1': { data: vals(3, 5), shape: [3] },
    ...Object.fromEntries([0, 1, 2, 3].map((i) => [`layers/batch_normalization/vars/${i}`, { data: Float32Array.from([1, 0.5, 0.75].map((v) => v + i / 10)), shape: [3] }])),
    'layers/dense_1/vars/0': { data: vals(18, 7), shape: [3, 6] }, 'layers/dense_1/vars/1': { data: vals(6, 11), shape: [6] },
  });
  const vae = functionalJson('vae', [4], [
    { cls: 'Dense', name: 'h', config: { units: 3, activation: 'relu' } },
    { cls: 'Dense', name: 'z_mean', config: { units: 2 }, inputs: ['h'] },
    { cls: 'Dense', name: 'z_log_var', config: { units: 2 }, inputs: ['h'] },
    { cls: 'Sampling', name: 'z', inputs: ['z_mean', 'z_log_var'] },
    { cls: 'Dense', name: 'out', config: { units: 4, activation: 'sigmoid' }, inputs: ['z'] },
  ], ['out'], true);
  const shapes: [string, number[]][] = [['dense', [4, 3]], ['dense_1', [3, 2]], ['dense_2', [3, 2]], ['dense_3', [2, 4]]];
  const vaeH5 = await writeH5(Object.fromEntries(shapes.flatMap(([p, s], k) => [[`layers/${p}/vars/0`, { data: vals(s[0]! * s[1]!, k + 2), shape: s }], [`layers/${p}/vars/1`, { data: vals(s[1]!, k + 3), shape: [s[1]!] }]])));
  return [
    { name: '.keras Sequential', bytes: kerasZip(seq, seqH5, '3.6.0', 0) },
    { name: '.keras functional VAE', bytes: kerasZip(vae, vaeH5, '3.6.0', 0) },
  ];
}

/** What `ae-wasm import MODEL.keras` does with the bytes (the model's file is never written). */
export async function importKeras(bytes: Uint8Array, kernels: Kernels): Promise<void> {
  importKerasModel(kernels, await readKerasFile(bytes, 'fuzz.keras'), 'fuzz.keras', { limits: { maxParams: 1 << 20, maxActivationValues: 1 << 20 } }).model.dispose();
}
