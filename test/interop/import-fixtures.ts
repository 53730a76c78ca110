// Test models for the import oracle tests: built in tfjs-layers 4.22, every weight random
// (biases and BatchNormalization's moving statistics too, so a dropped bias or a swapped
// statistic shows), saved by a small IOHandler to model.json + several shards in a temp dir,
// exactly as TF.js' file handlers lay them out.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readFileBytes } from '../../src/io/file-node.js';
import type { ShardReader } from '../../src/interop/tfjs-import.js';
import { uniform } from '../helpers.js';

/** Sets every weight of `m` to seeded random values: kernels glorot-uniform, vectors by their role. */
export function randomizeWeights(m: tfl.LayersModel, seed: number): void {
  const values = m.weights.map((w, i) => {
    const shape = w.shape as number[];
    const n = shape.reduce((a, b) => a * b, 1);
    const name = w.originalName ?? w.name;
    let lo = -0.2;
    let hi = 0.2;
    if (/kernel/.test(name)) {
      const fanIn = shape.slice(0, -1).reduce((a, b) => a * b, 1);
      const lim = Math.sqrt(6 / (fanIn + shape[shape.length - 1]!));
      [lo, hi] = [-lim, lim];
    } else if (/gamma/.test(name)) [lo, hi] = [0.6, 1.4];
    else if (/moving_variance/.test(name)) [lo, hi] = [0.4, 1.6];
    return tf.tensor(Float32Array.from(uniform(n, seed * 100 + i, lo, hi)), shape);
  });
  m.setWeights(values);
  tf.dispose(values);
}

export interface SavedModel {
  dir: string;
  modelJson: string;
  json: Record<string, unknown>;
}

/** Saves `m` as model.json + `shards` shard files (weights split at arbitrary byte offsets, 4-aligned) in `dir`; with its optimizer state and training config if asked. */
export async function saveTfjs(m: tfl.LayersModel, dir: string, shards = 3, includeOptimizer = false): Promise<SavedModel> {
  mkdirSync(dir, { recursive: true });
  let saved: Record<string, unknown> = {};
  await m.save({
    save: async (a: tf.io.ModelArtifacts) => {
      const data = new Uint8Array(tf.io.CompositeArrayBuffer.join(a.weightData!));
      const paths: string[] = [];
      const cut = Math.ceil(data.length / 4 / shards) * 4;
      for (let s = 0; s < shards; s++) {
        const name = `group1-shard${s + 1}of${shards}.bin`;
        writeFileSync(path.join(dir, name), data.subarray(s * cut, Math.min(data.length, (s + 1) * cut)));
        paths.push(name);
      }
      saved = { modelTopology: a.modelTopology, format: 'layers-model', generatedBy: 'TensorFlow.js tfjs-layers v4.22.0', convertedBy: null, weightsManifest: [{ paths, weights: a.weightSpecs }], ...(a.trainingConfig ? { trainingConfig: a.trainingConfig } : {}) };
      writeFileSync(path.join(dir, 'model.json'), JSON.stringify(saved));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    },
  }, { includeOptimizer });
  return { dir, modelJson: path.join(dir, 'model.json'), json: saved };
}

/** Shards beside model.json, as the CLI reads them. */
export function dirReader(dir: string): ShardReader {
  return (name, max) => readFileBytes(path.join(dir, name), max);
}

/** TF.js' own loader on the saved files (the oracle reads what we read). */
export function fileHandler(json: Record<string, unknown>, dir: string): tf.io.IOHandler {
  return {
    load: async () => {
      const manifest = json['weightsManifest'] as tf.io.WeightsManifestConfig;
      const parts = await Promise.all(manifest.flatMap((g) => g.paths.map((p) => readFileBytes(path.join(dir, p)))));
      const total = parts.reduce((n, p) => n + p.length, 0);
      const data = new Uint8Array(total);
      let at = 0;
      for (const p of parts) {
        data.set(p, at);
        at += p.length;
      }
      return { modelTopology: json['modelTopology'] as object, weightSpecs: manifest.flatMap((g) => g.weights), weightData: data.buffer };
    },
  };
}

const L = tfl.layers;

/** The models of the TF.js oracle test: name, builder, input shape. */
export const TFJS_CASES: { name: string; shape: number[]; build: () => tfl.LayersModel }[] = [
  {
    name: 'tf.sequential dense (Flatten, Dense relu, Dense sigmoid, Reshape)',
    shape: [6, 5, 1],
    build: () => tfl.sequential({ layers: [L.flatten({ inputShape: [6, 5, 1] }), L.dense({ units: 7, activation: 'relu' }), L.dense({ units: 30, activation: 'sigmoid' }), L.reshape({ targetShape: [6, 5, 1] })] }),
  },
  {
    name: 'nested Sequentials (the TensorFlow tutorial: encoder, decoder)',
    shape: [8, 8, 1],
    build: () => {
      const encoder = tfl.sequential({ name: 'encoder', layers: [L.flatten({ inputShape: [8, 8, 1] }), L.dense({ units: 12, activation: 'relu' }), L.dense({ units: 4, activation: 'relu' })] });
      const decoder = tfl.sequential({ name: 'decoder', layers: [L.dense({ inputShape: [4], units: 12, activation: 'relu' }), L.dense({ units: 64, activation: 'sigmoid' }), L.reshape({ targetShape: [8, 8, 1] })] });
      return tfl.sequential({ layers: [encoder, decoder] });
    },
  },
  {
    name: 'functional conv chain: Conv2D, BatchNormalization, LeakyReLU, Dropout, Conv2DTranspose, ELU, MaxPooling2D, UpSampling2D',
    shape: [12, 8, 3],
    build: () => {
      const x = tfl.input({ shape: [12, 8, 3] });
      let h = L.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same' }).apply(x) as tfl.SymbolicTensor;
      h = L.batchNormalization({ epsilon: 0.01 }).apply(h) as tfl.SymbolicTensor;
      h = L.leakyReLU({ alpha: 0.1 }).apply(h) as tfl.SymbolicTensor;
      h = L.conv2d({ filters: 4, kernelSize: [2, 3], padding: 'same', activation: 'tanh' }).apply(h) as tfl.SymbolicTensor;
      h = L.maxPooling2d({ poolSize: 2, padding: 'same' }).apply(h) as tfl.SymbolicTensor;
      h = L.dropout({ rate: 0.3 }).apply(h) as tfl.SymbolicTensor;
      h = L.upSampling2d({ size: [2, 2] }).apply(h) as tfl.SymbolicTensor;
      h = L.conv2dTranspose({ filters: 5, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }).apply(h) as tfl.SymbolicTensor;
      h = L.elu({}).apply(h) as tfl.SymbolicTensor;
      h = L.batchNormalization({ center: false }).apply(h) as tfl.SymbolicTensor;
      const y = L.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'sigmoid' }).apply(h) as tfl.SymbolicTensor;
      return tfl.model({ inputs: x, outputs: y });
    },
  },
  {
    name: 'activations inside layers and Activation layers (selu, softplus, elu, swish, gelu_new, linear)',
    shape: [9],
    build: () =>
      tfl.sequential({
        layers: [
          L.dense({ inputShape: [9], units: 8, activation: 'selu' }),
          L.dense({ units: 6, activation: 'softplus' }),
          L.activation({ activation: 'elu' }),
          L.dense({ units: 3, activation: 'swish' }),
          L.dense({ units: 6, activation: 'gelu_new', useBias: false }),
          L.gaussianNoise({ stddev: 0.4 }),
          L.dense({ units: 9 }),
        ],
      }),
  },
  {
    name: 'functional branches and a Concatenate (a graph of parts)',
    shape: [10],
    build: () => {
      const x = tfl.input({ shape: [10] });
      const h = L.dense({ units: 8, activation: 'relu', name: 'trunk' }).apply(x) as tfl.SymbolicTensor;
      const a = L.dense({ units: 3, activation: 'tanh', name: 'left' }).apply(h) as tfl.SymbolicTensor;
      const b = L.dense({ units: 2, name: 'right' }).apply(h) as tfl.SymbolicTensor;
      const c = L.concatenate().apply([a, b]) as tfl.SymbolicTensor;
      const y = L.dense({ units: 10, activation: 'sigmoid', name: 'out' }).apply(c) as tfl.SymbolicTensor;
      return tfl.model({ inputs: x, outputs: y });
    },
  },
];
