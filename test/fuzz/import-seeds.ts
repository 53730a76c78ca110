// Seeds of the TF.js import fuzz target: TF.js Layers models (model.json and one weights
// shard, as ae-wasm's TF.js export writes them for tfjs-layers 4.22) packed in a
// safetensors container, model.json as the `architecture` metadata and the shard as a U8
// tensor, so the JSON edits of mutations.ts reach model.json and byte mutations (a
// truncation most of all) the shard.
import { exportTfjs } from '../../src/interop/export-tfjs.js';
import { readTfjsModel } from '../../src/interop/tfjs-import.js';
import { importKerasModel } from '../../src/interop/import-model.js';
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
