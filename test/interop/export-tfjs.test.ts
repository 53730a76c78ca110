// TF.js Layers export against tfjs-layers 4.22 itself: model.json + the shard, handed to
// tf.loadLayersModel through an IOHandler from memory, then predict on the cpu backend, for
// every preset and the odd shapes of export-fixtures.ts, each part; within 1e-5 of our
// reconstruct / encode / decode. Cases TF.js cannot express fail naming the layer.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportTfjs, TFJS_WEIGHTS_FILE, type TfjsExport } from '../../src/interop/export-tfjs.js';
import { UnsupportedError } from '../../src/errors.js';
import type { Kernels } from '../../src/kernels/kernels.js';
import { presetArchitecture } from '../../src/models/presets.js';
import { maxAbsDiff, wasmKernels } from '../helpers.js';
import { CASES, PARTS, randomModel, reference } from './export-fixtures.js';
import { memoryHandler } from './tfjs-memory.js';

const TOL = 1e-5;
let kernels: Kernels;
let worst = { diff: 0, where: '' };

beforeAll(async () => {
  kernels = await wasmKernels();
  await tf.setBackend('cpu');
});

afterAll(() => {
  console.log(`TF.js (tfjs-layers 4.22, cpu) vs ae-wasm: max abs difference ${worst.diff.toExponential(2)} (${worst.where})`);
});

/** Cases TF.js Layers cannot load (each has its error test below). */
const TFJS_MISSING = new Set(['activation exponential', 'activation gelu_approximate', 'ELU layer with alpha 0.7']);

describe('exportTfjs loads in tf.loadLayersModel and predicts as ae-wasm does', () => {
  CASES.forEach((c, ci) => {
    it.skipIf(TFJS_MISSING.has(c.name)).each(PARTS)(`${c.name}: part %s`, async (part) => {
      const model = randomModel(kernels, c.arch, ci + 1);
      try {
        const ref = reference(model, part, 3, 100 + ci);
        const exported = exportTfjs(model, { part });
        // TF.js returns outputs in output_layers order; the metadata names them.
        const order = JSON.parse(exported.modelJson.userDefinedMetadata['ae-wasm.outputs']!) as string[];
        expect([...order].sort()).toEqual(Object.keys(ref.outputs).sort());
        const tm = await tfl.loadLayersModel(memoryHandler(exported), { strict: true });
        const x = tf.tensor(ref.input, [3, ...ref.inShape]);
        const y = tm.predict(x);
        const ys = Array.isArray(y) ? y : [y];
        expect(ys).toHaveLength(order.length);
        for (let i = 0; i < ys.length; i++) {
          const got = ys[i]!.dataSync();
          const d = maxAbsDiff(got, ref.outputs[order[i]!]!);
          if (d > worst.diff) worst = { diff: d, where: `${c.name}, ${part}, ${order[i]}` };
          expect(d, `${order[i]}: max abs difference`).toBeLessThanOrEqual(TOL);
        }
        tf.dispose([x, ...ys]);
        tm.dispose();
      } finally {
        model.dispose();
      }
    });
  });
});

describe('the TF.js files', () => {
  it('name layers {part}_{i}, weights {part}_{i}/{param} in manifest order, Keras shapes, one shard', () => {
    const model = randomModel(kernels, presetArchitecture('dense'), 1);
    const e = exportTfjs(model);
    const manifest = e.modelJson.weightsManifest;
    expect(manifest).toEqual([
      {
        paths: [TFJS_WEIGHTS_FILE],
        weights: [
          { name: 'encoder_1/kernel', shape: [784, 64], dtype: 'float32' },
          { name: 'encoder_1/bias', shape: [64], dtype: 'float32' },
          { name: 'decoder_0/kernel', shape: [64, 784], dtype: 'float32' },
          { name: 'decoder_0/bias', shape: [784], dtype: 'float32' },
        ],
      },
    ]);
    expect(e.weights.length).toBe(4 * (784 * 64 + 64 + 64 * 784 + 784));
    // The shard holds decoder.0.bias last, little-endian float32.
    const bias = model.params.read(model.params.get('decoder.0.bias')!);
    expect(new Float32Array(e.weights.slice(e.weights.length - 4 * 784).buffer)).toEqual(bias);
    expect(e.modelJson.format).toBe('layers-model');
    expect(e.modelJson.userDefinedMetadata['ae-wasm.part']).toBe('all');
    model.dispose();
  });

  it('a VAE encoder is a functional model with two outputs, z_mean and z_log_var, reading one encoder', () => {
    const model = randomModel(kernels, presetArchitecture('vae'), 1);
    const topo = exportTfjs(model, { part: 'encoder' }).modelJson.modelTopology as { config: { output_layers: unknown[]; layers: { name: string; inbound_nodes: unknown }[] } };
    expect(topo.config.output_layers).toEqual([['z_mean_0', 0, 0], ['z_log_var_0', 0, 0]]);
    const heads = topo.config.layers.filter((l) => l.name.startsWith('z_'));
    for (const h of heads) expect(h.inbound_nodes).toEqual([[['encoder_1', 0, 0, {}]]]);
    model.dispose();
  });

  it.each([
    ['activation exponential', /TF.js export: encoder layer 0 \(Dense\) uses activation "exponential", which TF.js Layers does not have/],
    ['activation gelu_approximate', /TF.js export: encoder layer 0 \(Dense\) uses activation "gelu_approximate", which TF.js Layers does not have/],
    ['ELU layer with alpha 0.7', /TF.js export: encoder layer 1 \(ELU\) has alpha 0.7; TF.js' ELU layer supports only alpha 1/],
  ])('%s: what TF.js cannot load fails naming the part, layer index and class', (name, message) => {
    const model = randomModel(kernels, CASES.find((c) => c.name === name)!.arch, 1);
    expect(() => exportTfjs(model)).toThrow(UnsupportedError);
    expect(() => exportTfjs(model)).toThrow(message);
    model.dispose();
  });
});
