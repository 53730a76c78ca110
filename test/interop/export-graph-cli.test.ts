// ae-wasm export of trained graph-of-parts models from the command line: a cvae and an
// ae-classifier, trained by the CLI for one epoch on 64 IDX digits, each part to ONNX and to
// TF.js; the files run in ONNX Runtime and TF.js as the library runs the same model file
// (decode, encode, reconstruct, predict with labels); ae-wasm import reads the TF.js export
// of `all` back to the same outputs; a part the model lacks fails naming the model and its
// parts, writing nothing.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBundledSplits } from '../../src/data/bundled.js';
import { JsKernels } from '../../src/kernels/js.js';
import { loadModel } from '../../src/models/node.js';
import { maxAbsDiff } from '../helpers.js';
import { idxFiles } from '../cli/idx-fixture.js';
import { inProcess } from '../cli/in-process.js';
import { graphReference, type Feed } from './export-fixtures.js';

let tmp: string;
const at = (name: string) => join(tmp, name);
// Every part of an ae-classifier export is an output: import finds the code by the export's "ae-wasm.code" metadata.
const TRAINED: Record<string, { parts: ('all' | 'encoder' | 'decoder' | 'classifier')[]; code: string }> = {
  cvae: { parts: ['all', 'encoder', 'decoder'], code: 'z_mean_0' },
  'ae-classifier': { parts: ['all', 'encoder', 'decoder', 'classifier'], code: 'encoder_2' },
};

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'ae-export-graph-'));
  await mkdir(at('data'));
  const bundled = await loadBundledSplits();
  for (const [stem, ds] of [['train', bundled.train], ['t10k', bundled.test]] as const) {
    const { images, labels } = idxFiles(ds, 64);
    await writeFile(at(`data/${stem}-images-idx3-ubyte`), images);
    await writeFile(at(`data/${stem}-labels-idx1-ubyte`), labels);
  }
  for (const preset of Object.keys(TRAINED)) {
    const r = await inProcess('train', '--preset', preset, '--data', at('data'), '--epochs', '1', '--batch', '16', '--backend', 'js', '--out', at(preset), '--quiet');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  }
  await tf.setBackend('cpu');
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = 'error';
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const count = (f: Feed) => f.data.length / f.shape.reduce((a, b) => a * b, 1);

describe('ae-wasm export of a trained graph of parts', () => {
  for (const [preset, { parts, code }] of Object.entries(TRAINED)) {
    it.each(parts)(`${preset} --part %s: ONNX and TF.js files give the library's outputs`, async (part) => {
      const modelFile = at(`${preset}/model.safetensors`);
      const model = await loadModel(modelFile, { kernels: new JsKernels() });
      try {
        const ref = graphReference(model, part, 4, 7);
        const onnxFile = at(`${preset}-${part}.onnx`);
        let r = await inProcess('export', '--model', modelFile, '--format', 'onnx', '--part', part, '--out', onnxFile);
        expect(r.code, r.stderr).toBe(0);
        expect(r.stdout).toContain(`(ONNX opset 17, part ${part}, `);
        const session = await ort.InferenceSession.create(new Uint8Array(await readFile(onnxFile)));
        const result = await session.run(Object.fromEntries(ref.feeds.map((f) => [f.name, new ort.Tensor('float32', f.data, [count(f), ...f.shape])])));
        await session.release();
        expect(Object.keys(result).sort()).toEqual(Object.keys(ref.outputs).sort());
        for (const [name, want] of Object.entries(ref.outputs)) expect(maxAbsDiff(result[name]!.data as Float32Array, want), `onnx ${name}`).toBeLessThanOrEqual(1e-5);

        const dir = at(`${preset}-${part}-tfjs`);
        r = await inProcess('export', '--model', modelFile, '--format', 'tfjs', '--part', part, '--out', dir);
        expect(r.code, r.stderr).toBe(0);
        const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
        const shard = new Uint8Array(await readFile(join(dir, 'group1-shard1of1.bin')));
        const tm = await tfl.loadLayersModel({ load: async () => ({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: shard.slice().buffer }) });
        const xs = ref.feeds.map((f) => tf.tensor(f.data, [count(f), ...f.shape]));
        const y = tm.predict(xs.length === 1 ? xs[0]! : xs);
        const ys = Array.isArray(y) ? y : [y];
        const order = JSON.parse(json.userDefinedMetadata['ae-wasm.outputs']) as string[];
        expect([...order].sort()).toEqual(Object.keys(ref.outputs).sort());
        order.forEach((name, i) => expect(maxAbsDiff(ys[i]!.dataSync(), ref.outputs[name]!), `tfjs ${name}`).toBeLessThanOrEqual(1e-5));
        tf.dispose([...xs, ...ys]);
        tm.dispose();
        if (part !== 'all') return;
        // ae-wasm import reads the export back: the same reconstructions (and probabilities).
        const back = at(`${preset}-back.safetensors`);
        r = await inProcess('import', join(dir, 'model.json'), '--out', back);
        expect(r.code, r.stderr).toBe(0);
        expect(r.stdout).toContain(`code ${code} (the export's "ae-wasm.code" metadata)`);
        const imported = await loadModel(back, { kernels: new JsKernels() });
        try {
          expect(maxAbsDiff(imported.reconstruct(ref.feeds[0]!.data, ref.labels), ref.outputs['reconstruction']!)).toBeLessThanOrEqual(1e-6);
          if (ref.outputs['probabilities']) expect(maxAbsDiff(imported.predict(ref.feeds[0]!.data, ref.labels), ref.outputs['probabilities'])).toBeLessThanOrEqual(1e-6);
        } finally {
          imported.dispose();
        }
      } finally {
        model.dispose();
      }
    });
  }

  it('--part classifier on a cvae fails naming the preset, kind and the parts it has, and writes nothing', async () => {
    for (const [format, out] of [['onnx', at('cls.onnx')], ['tfjs', at('cls-tfjs')]]) {
      const r = await inProcess('export', '--model', at('cvae/model.safetensors'), '--format', format!, '--part', 'classifier', '--out', out!);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/the model \(preset cvae, kind vae, a graph of parts flatten, encoder, z_mean, z_log_var, decoder\) has no part classifier: it has no classifier \(no part read by a sparse_categorical_crossentropy loss term\); its parts are encoder, decoder, all/);
    }
    expect((await readdir(tmp)).filter((f) => f.startsWith('cls'))).toEqual([]);
  });
});
