// ae-wasm export end to end (in-process): the files it writes run in ONNX Runtime and TF.js
// with the model's outputs; --out is checked before any work and never replaces what is not an export.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsKernels } from '../../src/kernels/js.js';
import type { Autoencoder } from '../../src/models/autoencoder.js';
import { saveModel } from '../../src/models/node.js';
import { presetArchitecture } from '../../src/models/presets.js';
import { maxAbsDiff } from '../helpers.js';
import { inProcess } from '../cli/in-process.js';
import { trainingRecord } from '../models/model-fixtures.js';
import { randomModel, reference } from './export-fixtures.js';

let dir: string;
let modelFile: string;
let model: Autoencoder;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ae-export-'));
  modelFile = join(dir, 'conv.safetensors');
  model = randomModel(new JsKernels(), presetArchitecture('conv'), 3);
  model.training = trainingRecord('conv');
  await saveModel(model, modelFile);
  await tf.setBackend('cpu');
  ort.env.wasm.numThreads = 1;
});

afterAll(async () => {
  model.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('ae-wasm export', () => {
  it('--format onnx writes a file ONNX Runtime runs as the model does', async () => {
    const out = join(dir, 'enc.onnx');
    const r = await inProcess('export', '--model', modelFile, '--format', 'onnx', '--part', 'encoder', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^wrote .*enc\.onnx \(ONNX opset 17, part encoder, \d+ bytes\)\n$/);
    const ref = reference(model, 'encoder', 2, 5);
    const session = await ort.InferenceSession.create(new Uint8Array(await readFile(out)));
    const got = await session.run({ input: new ort.Tensor('float32', ref.input, [2, ...ref.inShape]) });
    await session.release();
    expect(maxAbsDiff(got['code']!.data as Float32Array, ref.outputs['code']!)).toBeLessThanOrEqual(1e-5);
  });

  it('--format tfjs writes model.json and its shard, which tf.loadLayersModel reads; a second export replaces the first', async () => {
    const out = join(dir, 'tfjs');
    for (const part of ['decoder', 'all']) {
      const r = await inProcess('export', '--model', modelFile, '--format', 'tfjs', '--part', part, '--out', out);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`TF.js Layers, part ${part}`);
    }
    expect((await readdir(out)).sort()).toEqual(['group1-shard1of1.bin', 'model.json']);
    const json = JSON.parse(await readFile(join(out, 'model.json'), 'utf8'));
    const shard = new Uint8Array(await readFile(join(out, 'group1-shard1of1.bin')));
    const tm = await tfl.loadLayersModel({
      load: async () => ({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: shard.slice().buffer }),
    });
    const ref = reference(model, 'all', 2, 6);
    const y = tm.predict(tf.tensor(ref.input, [2, ...ref.inShape])) as tf.Tensor;
    expect(maxAbsDiff(y.dataSync(), ref.outputs['reconstruction']!)).toBeLessThanOrEqual(1e-5);
    tm.dispose();
  });

  it('refuses, before reading the model, a directory that is not an export, a file in the way, and an --out without .onnx', async () => {
    const foreign = join(dir, 'photos');
    await mkdir(foreign);
    await writeFile(join(foreign, 'cat.jpg'), 'x');
    let r = await inProcess('export', '--model', modelFile, '--format', 'tfjs', '--out', foreign);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--out .*photos: is not an earlier TF.js export \(it holds "cat.jpg"\); choose a new or empty directory/);
    expect(await readdir(foreign)).toEqual(['cat.jpg']);
    const fake = join(dir, 'fake');
    await mkdir(fake);
    await writeFile(join(fake, 'model.json'), '{"format": "graph-model"}');
    r = await inProcess('export', '--model', modelFile, '--format', 'tfjs', '--out', fake);
    expect(r.stderr).toMatch(/its model.json is not a TF.js Layers model/);
    r = await inProcess('export', '--model', modelFile, '--format', 'tfjs', '--out', modelFile);
    expect(r.stderr).toMatch(/exists and is not a directory/);
    r = await inProcess('export', '--model', join(dir, 'missing.safetensors'), '--format', 'onnx', '--out', join(dir, 'x.bin'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/give it the extension \.onnx/);
    r = await inProcess('export', '--model', modelFile, '--format', 'onnx', '--out', dir);
    expect(r.stderr).toMatch(/give it the extension \.onnx/);
    const asDir = join(dir, 'd.onnx');
    await mkdir(asDir);
    r = await inProcess('export', '--model', modelFile, '--format', 'onnx', '--out', asDir);
    expect(r.stderr).toMatch(/is a directory/);
    r = await inProcess('export', '--model', modelFile, '--format', 'keras', '--out', asDir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Allowed choices are onnx, tfjs/);
    r = await inProcess('export', '--model', modelFile, '--format', 'onnx', '--part', 'middle', '--out', join(dir, 'm.onnx'));
    expect(r.stderr).toMatch(/Allowed choices are encoder, decoder, all/);
  });

  it('an architecture TF.js cannot load fails with the layer named and writes nothing', async () => {
    const file = join(dir, 'exp.safetensors');
    const m = randomModel(new JsKernels(), { kind: 'autoencoder', input_shape: [4], parts: { encoder: [{ class_name: 'Dense', config: { units: 2, activation: 'exponential' } }], decoder: [{ class_name: 'Dense', config: { units: 4 } }] } }, 1);
    m.training = trainingRecord('custom');
    await saveModel(m, file);
    m.dispose();
    const out = join(dir, 'exp-tfjs');
    const r = await inProcess('export', '--model', file, '--format', 'tfjs', '--out', out);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/encoder layer 0 \(Dense\) uses activation "exponential"/);
    await expect(readdir(out)).rejects.toThrow(/ENOENT/);
  });
});
