// An exported model.json + shard handed to tf.loadLayersModel from memory.
import type * as tf from '@tensorflow/tfjs-core';
import type { TfjsExport } from '../../src/interop/export-tfjs.js';

/** The IOHandler a browser's fetch of model.json and its shard would amount to. */
export function memoryHandler(e: TfjsExport): tf.io.IOHandler {
  const json = JSON.parse(JSON.stringify(e.modelJson)) as typeof e.modelJson;
  return {
    load: async () => ({
      modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
      weightData: e.weights.slice().buffer,
      format: json.format,
      generatedBy: json.generatedBy,
      userDefinedMetadata: json.userDefinedMetadata,
    }),
  };
}

