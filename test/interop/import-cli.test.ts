// ae-wasm import end to end (in-process): a TF.js model saved to model.json + shards
// becomes a model file that summary, eval, reconstruct-style commands and export read;
// exported back to TF.js it predicts as the original did. Bad input writes nothing.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsKernels } from '../../src/kernels/js.js';
import { loadModel } from '../../src/models/node.js';
import { maxAbsDiff, uniform } from '../helpers.js';
import { inProcess } from '../cli/in-process.js';
import { randomizeWeights, saveTfjs, type SavedModel } from './import-fixtures.js';
import { kerasZip, sequentialJson, writeH5 } from './keras-fixtures.js';
import { writeFile } from 'node:fs/promises';

let dir: string;
let saved: SavedModel;
let tm: tfl.LayersModel;

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'ae-import-cli-'));
  const L = tfl.layers;
  tm = tfl.sequential({ layers: [L.flatten({ inputShape: [28, 28, 1] }), L.dense({ units: 32, activation: 'relu', name: 'hidden' }), L.dense({ units: 8, activation: 'relu', name: 'code' }), L.dense({ units: 784, activation: 'sigmoid' }), L.reshape({ targetShape: [28, 28, 1] })] });
  randomizeWeights(tm, 7);
  // Compiled and saved with its optimizer: the training config's loss is read, the optimizer's state skipped.
  tm.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
  saved = await saveTfjs(tm, join(dir, 'tfjs'), 2, true);
});

afterAll(async () => {
  tm.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('ae-wasm import', () => {
  it('writes a model file every command reads; exported back to TF.js it predicts as the original', async () => {
    const out = join(dir, 'imported.safetensors');
    const r = await inProcess('import', saved.modelJson, '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/wrote .*imported\.safetensors: an autoencoder \(parts encoder, decoder\), 32440 parameters, code code \(the narrowest layer\)/);
    const summary = await inProcess('summary', '--model', out);
    expect(summary.code, summary.stderr).toBe(0);
    expect(summary.stdout).toContain('Dense');
    const evaluated = await inProcess('eval', '--model', out, '--json');
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect(Number.isFinite(JSON.parse(evaluated.stdout).mse)).toBe(true);
    const model = await loadModel(out, { kernels: new JsKernels() });
    try {
      expect(model.training!['imported']).toMatchObject({ from: 'TF.js Layers model.json', file: 'model.json', code_layer: 'code' });
      expect(model.training!.loss).toBe('bce');
      const input = Float32Array.from(uniform(2 * 784, 3, 0, 1));
      const want = (tm.predict(tf.tensor(input, [2, 28, 28, 1])) as tf.Tensor).dataSync();
      expect(maxAbsDiff(model.reconstruct(input), want)).toBeLessThanOrEqual(1e-5);
      const back = join(dir, 'back');
      const e = await inProcess('export', '--model', out, '--format', 'tfjs', '--out', back);
      expect(e.code, e.stderr).toBe(0);
      const json = JSON.parse(await readFile(join(back, 'model.json'), 'utf8'));
      const shard = new Uint8Array(await readFile(join(back, 'group1-shard1of1.bin')));
      const again = await tfl.loadLayersModel({ load: async () => ({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: shard.slice().buffer }) });
      expect(maxAbsDiff((again.predict(tf.tensor(input, [2, 28, 28, 1])) as tf.Tensor).dataSync(), want)).toBeLessThanOrEqual(1e-5);
      again.dispose();
    } finally {
      model.dispose();
    }
  });

  it('--encoder-output names the code layer; --kind must match the model', async () => {
    const out = join(dir, 'split.safetensors');
    const r = await inProcess('import', saved.modelJson, '--out', out, '--encoder-output', 'hidden');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('code hidden (--encoder-output)');
    const model = await loadModel(out, { kernels: new JsKernels() });
    expect(model.codeShape).toEqual([32]);
    expect(model.architecture.graph).toBeUndefined();
    expect(model.architecture.parts.encoder!.map((l) => l.class_name)).toEqual(['Flatten', 'Dense']);
    model.dispose();
    const vae = await inProcess('import', saved.modelJson, '--out', join(dir, 'vae.safetensors'), '--kind', 'vae');
    expect(vae.code).toBe(2);
    expect(vae.stderr).toMatch(/--kind vae: .* is no VAE/);
  });

  it('--checkpoint writes an epoch-0 checkpoint that train --resume continues from the imported weights', async () => {
    const out = join(dir, 'ck.safetensors');
    const r = await inProcess('import', saved.modelJson, '--out', out, '--checkpoint');
    expect(r.code, r.stderr).toBe(0);
    const t = await inProcess('train', '--resume', out, '--epochs', '1', '--out', join(dir, 'continued'), '--quiet');
    expect(t.code, t.stderr).toBe(0);
    const model = await loadModel(join(dir, 'continued', 'model.safetensors'), { kernels: new JsKernels() });
    try {
      expect(model.training!.epochs).toBe(1);
      expect(model.training!['imported']).toMatchObject({ from: 'TF.js Layers model.json' });
    } finally {
      model.dispose();
    }
  });

  it('imports a .keras file; summary shows the imported layers', async () => {
    const config = sequentialJson('seq', [6], [{ cls: 'Dense', name: 'dense', config: { units: 2, activation: 'tanh' } }, { cls: 'Dense', name: 'dense_1', config: { units: 6 } }], true);
    const h5 = await writeH5({
      'layers/dense/vars/0': { data: new Float32Array(12).fill(0.25), shape: [6, 2] }, 'layers/dense/vars/1': { data: new Float32Array(2), shape: [2] },
      'layers/dense_1/vars/0': { data: new Float32Array(12).fill(-0.5), shape: [2, 6] }, 'layers/dense_1/vars/1': { data: new Float32Array(6).fill(0.125), shape: [6] },
    });
    const file = join(dir, 'small.keras');
    await writeFile(file, kerasZip(config, h5));
    const out = join(dir, 'small.safetensors');
    const r = await inProcess('import', file, '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('an autoencoder (parts encoder, decoder), 32 parameters, code dense (the narrowest layer)');
    const summary = await inProcess('summary', '--model', out);
    expect(summary.code, summary.stderr).toBe(0);
    expect(summary.stdout).toMatch(/Dense[\s\S]*Dense/);
  });

  it('refuses an unknown --encoder-output, a bad --out and a missing shard, writing nothing', async () => {
    const out = join(dir, 'never.safetensors');
    const unknown = await inProcess('import', saved.modelJson, '--out', out, '--encoder-output', 'nope');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--encoder-output "nope": no such layer .* its layers are flatten_Flatten\d+, hidden, code/);
    const ext = await inProcess('import', saved.modelJson, '--out', join(dir, 'x.onnx'));
    expect(ext.code).toBe(2);
    await rm(join(saved.dir, 'group1-shard2of2.bin'));
    const missing = await inProcess('import', saved.modelJson, '--out', out);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read .*group1-shard2of2\.bin/);
    expect(existsSync(out)).toBe(false);
  });
});
